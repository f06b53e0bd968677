"""Writes every checkpoint with real torch, then reads each through the fixed loaders."""
import json
import os
import pickle
import sys
import warnings

import torch

import ckpt

out = sys.argv[1]
mode = sys.argv[2]
model = torch.nn.Linear(3, 2)
optimizer = torch.optim.Adam(model.parameters())
optimizer.zero_grad()
model(torch.ones(1, 3)).sum().backward()
optimizer.step()

if mode == "save":
    ckpt.save_weights(model, out)
    ckpt.save_checkpoint(model, optimizer, out + "/training.pt", 3)
    ckpt.save_run(out)
    ckpt.save_scalars(model, out)
    ckpt.save_lightning(model, optimizer, out)

    class Exploit:
        def __reduce__(self):
            return (os.system, ("touch " + out + "/pwned",))

    with open(out + "/malicious.pt", "wb") as f:
        pickle.dump(Exploit(), f, protocol=2)
    sys.exit(0)

warnings.simplefilter("error", DeprecationWarning)
loaded = {
    "weights": sorted(ckpt.load_weights(out)),
    "training": ckpt.load_checkpoint(out + "/training.pt"),
    "run": ckpt.load_run(out),
    "scalars": ckpt.load_scalars(out),
    "lightning": ckpt.load_lightning(out),
}
# Every fixed loader refuses a pickle that runs code.
refused = []
for name, load in [("weights", lambda: ckpt.load_weights(out + "/evil")), ("training", lambda: ckpt.load_checkpoint(out + "/evil/weights.pt")), ("run", lambda: ckpt.load_run(out + "/evil")), ("scalars", lambda: ckpt.load_scalars(out + "/evil")), ("lightning", lambda: ckpt.load_lightning(out + "/evil"))]:
    try:
        load()
    except pickle.UnpicklingError:
        refused.append(name)
loaded["refused"] = refused
loaded["pwned"] = os.path.exists(out + "/pwned")
# What torch itself does with each file, for `remediate checkpoints` to agree with.
judged = {}
for name in sorted(os.listdir(out)):
    path = os.path.join(out, name)
    if not os.path.isfile(path):
        continue
    try:
        torch.load(path, weights_only=True)
        judged[name] = "weights-only"
    except pickle.UnpicklingError as e:
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path) if name != "malicious.pt" else []
        judged[name] = "needs-allowlist" if unsafe and "os.system" not in str(e) and "posix.system" not in str(e) else "refused"
loaded["torch"] = judged
print(json.dumps(loaded))
