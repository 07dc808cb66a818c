"""The process settings `botbus serve` starts with (api/serving.py), each in a fresh
interpreter: they are process-wide, and the test run's own must not change."""
import subprocess
import sys

SETTLED = """
import gc, sys
from api.app import create_app
from api.serving import YOUNGEST_GENERATION, settle_the_heap, share_the_gil
create_app()
share_the_gil()
settle_the_heap()
frozen = gc.get_freeze_count()
young, middle, oldest = gc.get_threshold()
assert young == YOUNGEST_GENERATION and (middle, oldest) == (10, 10), gc.get_threshold()
assert frozen > 10_000, frozen  # the app's own objects, never scanned again
assert sys.getswitchinterval() == 0.001
cycle = []
cycle.append(cycle)
del cycle
assert gc.collect() >= 1  # garbage made after the freeze is still collected
print("settled")
"""


def test_a_served_app_is_frozen_and_collects_its_young_seldom():
    done = subprocess.run([sys.executable, "-c", SETTLED], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "settled"
