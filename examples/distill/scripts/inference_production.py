"""Production inference: pull prompts from the queue, generate, post results back."""

import os

import requests
from transformers import AutoModelForCausalLM

QUEUE_URL = os.environ.get("QUEUE_URL", "http://queue.internal:8080")
RESULTS_URL = os.environ.get("RESULTS_URL", "http://results.internal:8080/v1/results")


def fetch_batch(url=QUEUE_URL + "/v1/next"):
    resp = requests.get(url)
    resp.raise_for_status()
    return resp.json()["items"]


def post_results(url, payload):
    with requests.post(url, json=payload, stream=True) as resp:
        resp.raise_for_status()
        for line in resp.iter_lines():
            if line:
                print(line.decode())


def heartbeat(worker_id):
    s = requests.Session()
    s.headers["X-Worker"] = worker_id
    return s.get(QUEUE_URL + "/v1/heartbeat").ok


def main():
    model = AutoModelForCausalLM.from_pretrained("gpt2", revision="main")
    model.eval()
    while heartbeat(os.environ.get("WORKER_ID", "w0")):
        items = fetch_batch()
        if not items:
            break
        outputs = [model.generate(**item["inputs"]) for item in items]
        post_results(RESULTS_URL, {"outputs": [o.tolist() for o in outputs]})


if __name__ == "__main__":
    main()
