"""Exercise specs: the shipped ones validate; broken ones say which file and key."""

from __future__ import annotations

import pytest

from posecheck.errors import SpecError
from posecheck.spec import EXERCISES_DIR, available_exercises, get_spec, load_spec

from .conftest import run_cli


def test_every_shipped_spec_validates():
    assert set(available_exercises()) == {"squat", "glute_bridge", "bird_dog", "sitting_posture"}
    for name in available_exercises():
        spec = get_spec(name)
        assert all(f.evidence and f.cue for f in spec.faults)


def test_required_fault_codes_are_present():
    assert set(get_spec("squat").fault_codes()) >= {"shallow_depth", "beyond_mobility", "heels_lifting",
                                                     "excessive_forward_lean", "knee_valgus"}
    assert set(get_spec("glute_bridge").fault_codes()) >= {"incomplete_hip_extension", "over_arching"}
    assert set(get_spec("bird_dog").fault_codes()) >= {"hip_rotation", "trunk_sag", "leg_too_high", "leg_too_low"}
    assert set(get_spec("sitting_posture").fault_codes()) >= {"rounded_shoulders", "forward_head", "slouched_trunk"}


GOOD_FAULT = '''
[[faults]]
code = "shallow_depth"
metric = "squat_depth_deg"
views = ["side"]
during = "rep"
fault_if = "below"
enter = 60.0
cue = "deeper"
evidence = "test"
'''

HEAD = '''
[exercise]
name = "x"
title = "X"
summary = "s"
camera = "c"
views = ["side"]
position = "standing"

[reps]
metric = "squat_depth_deg"
enter = 40.0
exit = 20.0
'''


@pytest.mark.parametrize(("fault", "message"), [
    (GOOD_FAULT.replace('"squat_depth_deg"', '"knee_x"'), "faults[0].metric 'knee_x' is not a known metric"),
    (GOOD_FAULT.replace('views = ["side"]', 'views = ["top"]'), "faults[0].views[0]"),
    (GOOD_FAULT.replace("enter = 60.0", "enter = 60.0\nexit = 50.0"), "exit 50.0 must lie on the good side"),
    (GOOD_FAULT.replace('cue = "deeper"', 'cue = "deeper {depth}"'), "cue template"),
    (GOOD_FAULT.replace('code = "shallow_depth"', 'code = "Shallow-Depth"'), "must be snake_case"),
    (GOOD_FAULT + 'requires_any = ["nope"]\n', "refers to unknown fault 'nope'"),
    (GOOD_FAULT + 'colour = "red"\n', "faults[0].colour"),
], ids=["unknown-metric", "unknown-view", "hysteresis-backwards", "bad-placeholder", "not-snake-case",
        "unknown-reference", "unknown-key"])
def test_broken_spec_names_file_and_key(tmp_path, fault, message):
    path = tmp_path / "x.toml"
    path.write_text(HEAD + fault)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert str(err.value).startswith("x.toml: ")
    assert message in str(err.value)


def test_valid_spec_loads(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text(HEAD + GOOD_FAULT)
    assert load_spec(path).faults[0].code == "shallow_depth"


def test_exercises_validate_command(tmp_path):
    proc = run_cli("exercises", "validate", check=True)
    assert proc.stdout.count(": ok") == 4
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    proc = run_cli("exercises", "validate", str(bad))
    assert proc.returncode == 4 and "bad.toml: not valid TOML" in proc.stderr


def test_unknown_exercise_lists_the_known_ones():
    proc = run_cli("analyze", "x.mp4", "-e", "plank")
    assert proc.returncode == 4 and "unknown exercise 'plank'; choose one of bird_dog" in proc.stderr


def test_specs_live_in_the_exercises_folder():
    assert EXERCISES_DIR.name == "exercises" and (EXERCISES_DIR / "squat.toml").is_file()
