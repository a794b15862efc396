"""Exercise specs: the shipped ones validate; broken ones say which file and key."""

from __future__ import annotations

import pytest

from posecheck.engine.spec import EXERCISES_DIR, available_exercises, get_spec, load_spec
from posecheck.errors import SpecError

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


TOO_SMALL = '''
[reps.too_small]
rise = 10.0
tells = "shallow_depth"
otherwise = "you went down {rise:.0f} degrees, a rep counts from {enter:.0f}"
evidence = "test"
'''


@pytest.mark.parametrize(("too_small", "message"), [
    (TOO_SMALL.replace('tells = "shallow_depth"', 'tells = "nope"'), "[reps.too_small] tells unknown fault 'nope'"),
    (TOO_SMALL.replace("{rise:.0f}", "{depth}"), "otherwise template may use only {rise} and {enter}"),
], ids=["unknown-fault", "bad-placeholder"])
def test_a_too_small_lift_must_tell_a_fault_of_the_exercise_in_words_it_can_fill(tmp_path, too_small, message):
    path = tmp_path / "x.toml"
    path.write_text(HEAD + too_small + GOOD_FAULT)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert message in str(err.value)
    path.write_text(HEAD + TOO_SMALL + GOOD_FAULT)
    assert load_spec(path).reps.too_small.tells == "shallow_depth"


REQUIREMENT = '''
[[reps.requires]]
metric = "hinge_reach_deg"
below = 50.0
otherwise = "you folded at the hips; keep your chest up"
tells = "shallow_depth"
evidence = "test"
'''


def test_a_requirement_may_tell_only_a_fault_of_the_exercise(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text(HEAD + REQUIREMENT.replace('tells = "shallow_depth"', 'tells = "nope"') + GOOD_FAULT)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert "[[reps.requires]] on 'hinge_reach_deg' tells unknown fault 'nope'" in str(err.value)
    path.write_text(HEAD + REQUIREMENT + GOOD_FAULT)
    assert load_spec(path).reps.requires[0].tells == "shallow_depth"


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


def test_an_unknown_exercise_is_a_usage_error_that_lists_the_known_ones():
    proc = run_cli("analyze", "x.mp4", "-e", "plank")
    assert proc.returncode == 2 and "unknown exercise 'plank'; choose one of bird_dog" in proc.stderr


def test_specs_live_in_the_package_and_the_checkouts_exercises_folder_is_the_same_files():
    assert EXERCISES_DIR.parent.name == "posecheck" and (EXERCISES_DIR / "squat.toml").is_file()
    top = EXERCISES_DIR.parent.parent / "exercises"
    assert top.resolve() == EXERCISES_DIR.resolve()  # one copy: the top-level folder links to it


def test_a_user_spec_overrides_the_built_in_one_and_a_new_one_adds_an_exercise(tmp_path):
    user = tmp_path / "config" / "posecheck" / "exercises"
    user.mkdir(parents=True)
    squat = (EXERCISES_DIR / "squat.toml").read_text().replace("Squat", "My squat", 1)
    (user / "squat.toml").write_text(squat)
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "wall_sit.toml").write_text((EXERCISES_DIR / "squat.toml").read_text().replace(
        'name = "squat"', 'name = "wall_sit"', 1))
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    listed = run_cli("--exercises-dir", str(extra), "exercises", "list", env=env, check=True).stdout
    lines = {line.split()[0]: line for line in listed.splitlines()}
    assert set(lines) == {"bird_dog", "glute_bridge", "sitting_posture", "squat", "wall_sit"}
    assert "[user folder:" in lines["squat"] and "[built-in:" in lines["bird_dog"]
    assert "[--exercises-dir:" in lines["wall_sit"]
    shown = run_cli("--exercises-dir", str(extra), "exercises", "show", "wall_sit", env=env, check=True).stdout
    assert "squat_depth" in shown or "depth" in shown
