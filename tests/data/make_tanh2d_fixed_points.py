"""Generate ``tanh2d_fixed_points.npz``: ground-truth fixed points of a 2-unit tanh RNN.

Independent of the library: plain numpy + ``scipy.optimize.root`` (MINPACK hybrid
method, float64, analytic Jacobian) from a dense 41 x 41 grid of starting points, for
two static inputs.  The network follows the cells' row-vector convention

    F(h, x) = tanh(x W_x + h W_h + b),     dF_i/dh_j = (1 - F_i^2) W_h[j, i].

With a self-excitation of about 1.6 on each unit every condition has 9 fixed points
(the 3 x 3 product of the 1-D bistable units): 4 stable nodes, 4 saddles with one
unstable direction and 1 unstable node (two unstable directions).  Run from the repo
root:  ``python tests/data/make_tanh2d_fixed_points.py``.
"""

from pathlib import Path

import numpy as np
from scipy.optimize import root

W_H = np.array([[1.6, 0.15], [-0.1, 1.7]])
W_X = np.array([[0.3, -0.2]])
B = np.array([0.05, -0.03])
X_CONDITIONS = np.array([[0.0], [0.25]])


def residual(h, u):
    return np.tanh(h @ W_H + u) - h


def jacobian(h, u):
    f = np.tanh(h @ W_H + u)
    return (1.0 - f**2)[:, None] * W_H.T


def main(out=Path(__file__).with_name("tanh2d_fixed_points.npz")):
    grid = np.linspace(-1.2, 1.2, 41)
    starts = np.stack(np.meshgrid(grid, grid), -1).reshape(-1, 2)
    points, conds = [], []
    for c, x in enumerate(X_CONDITIONS):
        u = x @ W_X + B
        found = []
        for h0 in starts:
            sol = root(residual, h0, args=(u,), jac=lambda h, uu: jacobian(h, uu) - np.eye(2), tol=1e-14)
            if sol.success and np.linalg.norm(residual(sol.x, u)) < 1e-12:
                if not any(np.linalg.norm(sol.x - f) < 1e-6 for f in found):
                    found.append(sol.x)
        found = np.array(sorted(found, key=tuple))
        points.append(found)
        conds.append(np.full(len(found), c))
    h = np.concatenate(points)
    cond = np.concatenate(conds)
    u = X_CONDITIONS[cond] @ W_X + B
    jac = np.stack([jacobian(hh, uu) for hh, uu in zip(h, u)])
    lam = np.linalg.eigvals(jac)
    lam = np.take_along_axis(lam, np.argsort(-np.abs(lam), axis=1), axis=1)
    np.savez(out, W_h=W_H, W_x=W_X, b=B, x_conditions=X_CONDITIONS, h=h, condition=cond, J_h=jac,
             eigenvalues=lam, n_unstable=(np.abs(lam) > 1).sum(1))
    for c in range(len(X_CONDITIONS)):
        sel = cond == c
        print(f"condition {c}: {sel.sum()} fixed points, unstable dims {np.sort((np.abs(lam[sel]) > 1).sum(1))}")
    return out


if __name__ == "__main__":
    print(main())
