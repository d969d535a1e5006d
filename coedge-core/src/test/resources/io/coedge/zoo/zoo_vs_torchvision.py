"""Loads weights dumped from io.coedge.zoo.ModelZoo into the torchvision model of the same name and
writes its logits. Usage: zoo_vs_torchvision.py MODEL DIR. DIR holds one little-endian float32 file per
state_dict key (KEY.bin) and _input.bin (1x3x224x224 NCHW); the logits go to DIR/_torch_output.bin.
Exits 3 with a message when a key is missing or has the wrong size (the topologies differ)."""
import os
import sys

import numpy as np
import torch
import torchvision

name, d = sys.argv[1], sys.argv[2]
kwargs = dict(aux_logits=False, init_weights=False, transform_input=False) if name == "googlenet" else {}
model = getattr(torchvision.models, name)(**kwargs).eval()
state = {}
for key, value in model.state_dict().items():
    if key.endswith("num_batches_tracked"):
        state[key] = value
        continue
    path = os.path.join(d, key + ".bin")
    if not os.path.exists(path):
        print("zoo has no constant for torchvision key " + key)
        sys.exit(3)
    a = np.fromfile(path, dtype="<f4")
    if a.size != value.numel():
        print("size of %s differs: zoo %d, torchvision %s" % (key, a.size, tuple(value.shape)))
        sys.exit(3)
    state[key] = torch.from_numpy(a.reshape(value.shape))
model.load_state_dict(state)
x = torch.from_numpy(np.fromfile(os.path.join(d, "_input.bin"), dtype="<f4").reshape(1, 3, 224, 224))
with torch.no_grad():
    model(x).numpy().astype("<f4").tofile(os.path.join(d, "_torch_output.bin"))
