# A two-layer ReLU network trained with manual gradient-descent updates under no_grad
# (the classic "two_layer_net_autograd" tutorial, without NumPy).
import torch

dtype = torch.float
device = "cuda" if torch.cuda.is_available() else "cpu"

N, D_in, H, D_out = 64, 100, 50, 10

# Inputs, targets and weights from fixed formulas instead of randn, so that both libraries see
# the same numbers.
x = torch.sin(torch.arange(N * D_in, dtype=dtype, device=device)).reshape(N, D_in)
y = torch.cos(torch.arange(N * D_out, dtype=dtype, device=device) * 0.37).reshape(N, D_out)
w1 = (torch.sin(torch.arange(D_in * H, dtype=dtype) * 1.3) * 0.1).reshape(D_in, H).to(device)
w2 = (torch.cos(torch.arange(H * D_out, dtype=dtype) * 0.7) * 0.1).reshape(H, D_out).to(device)
w1.requires_grad_()
w2.requires_grad_()

learning_rate = 1e-4
for t in range(500):
    y_pred = x.mm(w1).clamp(min=0).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        print(t, loss.item())
    loss.backward()
    with torch.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()

print("final", loss.item(), w1.norm().item(), w2.abs().max().item())
