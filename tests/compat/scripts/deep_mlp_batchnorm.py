# A deeper MLP built from a ModuleList of residual blocks (Linear, BatchNorm1d, SiLU), LayerNorm
# before the head, NAdam, and two schedulers stacked on one optimizer (a warm-up, then decay),
# trained on two concentric rings; then evaluated, saved as a checkpoint dict and reloaded.
import math

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

n = 600
t = torch.linspace(0.0, 6 * math.pi, n)
y = torch.arange(n) % 2  # the two classes interleaved: every batch holds both
radius = 0.5 + 0.5 * y.float()
X = torch.stack([radius * torch.cos(t), radius * torch.sin(t)], dim=1).double()
loader = DataLoader(TensorDataset(X, y), batch_size=100, drop_last=True)


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.linear = nn.Linear(width, width)
        self.norm = nn.BatchNorm1d(width)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.norm(self.linear(x)))


class DeepMLP(nn.Module):
    def __init__(self, width=32, depth=3):
        super().__init__()
        self.inp = nn.Linear(2, width)
        self.blocks = nn.ModuleList([Block(width) for _ in range(depth)])
        self.out_norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, 2)

    def forward(self, x):
        x = self.inp(x)
        for block in self.blocks:
            x = x + block(x)
        return self.head(self.out_norm(x))


def init_weights(m):
    if isinstance(m, nn.Linear):
        with torch.no_grad():
            k = torch.arange(m.weight.numel(), dtype=torch.float64)
            m.weight.copy_((torch.sin(k * 1.7) * 0.15).reshape(m.weight.shape))
            m.bias.zero_()


# float64 (parameters and BatchNorm's running statistics): 180 steps of a deep network amplify
# rounding, and float32's would show in the third digit.
model = DeepMLP().to(torch.float64)
model.apply(init_weights)
optimizer = torch.optim.NAdam(model.parameters(), lr=0.003)
warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.2, total_iters=5)
decay = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.95)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(30):  # noqa: B007 -- as tutorials write it
    model.train()
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
    warmup.step()
    decay.step()

model.eval()
with torch.no_grad():
    logits = model(X)
    accuracy = (logits.argmax(dim=1) == y).float().mean().item()
    eval_loss = loss_fn(logits, y).item()

torch.save(
    {"epoch": 30, "model": model.state_dict(), "optimizer": optimizer.state_dict()}, "ckpt.pt"
)
checkpoint = torch.load("ckpt.pt", weights_only=True)
restored = DeepMLP().double()
restored.load_state_dict(checkpoint["model"])
restored.eval()
with torch.no_grad():
    same = torch.allclose(restored(X), logits)
print(f"epoch {checkpoint['epoch']} accuracy {accuracy:.3f} restored identical: {same}")
print("final", loss.item(), eval_loss, accuracy, optimizer.param_groups[0]["lr"], float(same))
