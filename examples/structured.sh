#!/bin/sh
# Structured extraction: every row of feedback.csv (its text and its photo) becomes
# sentiment, rating, issues, needs_reply and summary columns, checked against feedback-schema.json.
# Run it in this folder: against the API (ANTHROPIC_API_KEY), or offline against the emulator:
#   claude-batch emulator & export ANTHROPIC_BASE_URL=http://127.0.0.1:8787 ANTHROPIC_API_KEY=emulator
# Against the emulator it writes feedback-joined.csv exactly as committed here.
set -e
claude-batch build csv feedback.csv --template 'Extract the feedback in this message: {{text}}' --image-column photo --id-column id --schema feedback-schema.json --force -o feedback-requests.jsonl
claude-batch run feedback-requests.jsonl --state feedback-job --results feedback-results.jsonl
claude-batch results --join feedback.csv --requests feedback-requests.jsonl --from feedback-results.jsonl --format csv --force -o feedback-joined.csv
