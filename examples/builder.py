"""A builder for `claude-batch build custom examples/builder.py`, written as the original skill's
README had it: build_requests() returns a list of {custom_id, params}. Leave out model and
max_tokens to take --model / --max-tokens (or set them per request)."""


def build_requests():
    questions = [
        "What is a message batch?",
        "Why are batches half the price?",
        "How long can a batch take?",
    ]
    requests = []
    for i, question in enumerate(questions):
        requests.append({
            "custom_id": f"question-{i + 1}",
            "params": {
                "max_tokens": 1024,
                "messages": [{"role": "user", "content": question}],
            },
        })
    return requests
