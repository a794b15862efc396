"""`posecheck validate`: run the checkers on labelled clips and score their agreement
with the labels (label format in labels.py, scores in scoring.py, running in runner.py)."""
