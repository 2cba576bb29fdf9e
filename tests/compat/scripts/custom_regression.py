# Regression with a custom Module: a small tanh network fitted full-batch with Adam, then the fit
# checked on held-out points.
import torch
from torch import nn


class Regressor(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.hidden = nn.Linear(1, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


def init(m):
    if isinstance(m, nn.Linear):
        with torch.no_grad():
            m.weight.copy_(torch.linspace(-1.0, 1.0, m.weight.numel()).reshape(m.weight.shape))
            m.bias.copy_(torch.linspace(-0.5, 0.5, m.bias.numel()))


x = torch.linspace(-2, 2, 200).unsqueeze(1)
y = x**3 - x + 0.1 * torch.sin(7 * x)
x_test = torch.linspace(-1.9, 1.9, 50).unsqueeze(1)
y_test = x_test**3 - x_test + 0.1 * torch.sin(7 * x_test)

model = Regressor()
model.apply(init)
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for step in range(300):
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        print(step, loss.item())

model.eval()
with torch.no_grad():
    test_loss = criterion(model(x_test), y_test).item()
print("final", loss.item(), test_loss)
