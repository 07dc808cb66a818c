"""What a SQLite file itself holds, without its write-ahead log: whether a checkpoint copied
the WAL back yet (tests of projections/checkpoints.py and of the log's recorder)."""
import sqlite3


def rows_in_file(path, table: str) -> int:
    """Rows of `table` in the database file alone (`immutable=1` ignores the WAL)."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.DatabaseError:  # the table itself is still only in the WAL, or a copy
        return 0  # into the file is under way (`immutable` reads it as it changes): not yet
    finally:
        conn.close()


def wal_restarts(path) -> int:
    """How often SQLite started the file's WAL over: the checkpoint sequence number in the
    WAL's header (bytes 12-15, big-endian), which each restart increments."""
    with open(f"{path}-wal", "rb") as wal:
        return int.from_bytes(wal.read(16)[12:16], "big")
