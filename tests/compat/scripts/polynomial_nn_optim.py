# The same polynomial fit with nn.Sequential, a loss module and an optimizer
# (the "nn" and "optim" steps of "Learning PyTorch with Examples").
import math

import torch

# RMSprop's steps near the optimum are sign-like: in float32 the last digits decide where the
# coefficients that hover around 0 end up, so this fit runs in float64.
dtype = torch.float64

x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)

p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)

model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)).to(dtype)
with torch.no_grad():
    model[0].weight.fill_(0.05)
    model[0].bias.zero_()
loss_fn = torch.nn.MSELoss(reduction="sum")

learning_rate = 1e-3
optimizer = torch.optim.RMSprop(model.parameters(), lr=learning_rate)
for t in range(2000):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    if t % 500 == 99:
        print(t, loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

linear_layer = model[0]
print(
    f"Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + "
    f"{linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3"
)
# The constant and x^2 terms of sin are 0: their coefficients hover within lr of it, moved by
# rounding alone, so the comparison takes the loss and the x and x^3 coefficients.
print("final", loss.item(), linear_layer.weight[0, 0].item(), linear_layer.weight[0, 2].item())
