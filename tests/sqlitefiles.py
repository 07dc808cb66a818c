"""What a SQLite file itself holds, without its write-ahead log: whether a checkpoint copied
the WAL back yet (tests of projections/checkpoints.py and of the log's recorder)."""
import sqlite3


def rows_in_file(path, table: str) -> int:
    """Rows of `table` in the database file alone (`immutable=1` ignores the WAL)."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:  # the table itself is still only in the WAL
        return 0
    finally:
        conn.close()
