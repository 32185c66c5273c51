"""Maximum-likelihood machinery shared by the CLV models: the fit result, the optimiser, the Hessian.

Every model is fitted on the log of its parameters (all are positive), by
:func:`scipy.optimize.minimize` with L-BFGS-B and the model's analytic gradient,
within the bounds :data:`LOG_BOUNDS` (about 1e-4 .. 1e4 on the natural scale).
The covariance of the log-parameters is the inverse of the observed information:
the Hessian of the negative log-likelihood by central differences of the
analytic gradient. Standard errors on the natural scale follow by the delta
method (``se = estimate * se_log``); 95 % intervals are ``exp(log estimate
+/- 1.96 se_log)`` (log-scale Wald intervals: they stay positive and are closer
to nominal in small samples than natural-scale ones).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = ["LOG_BOUNDS", "MLFit", "fit_log_params"]

#: Bounds of every log-parameter in the optimiser.
LOG_BOUNDS: tuple[float, float] = (np.log(1e-4), np.log(1e4))

#: Convergence: largest gradient component of the mean log-likelihood per customer.
GTOL: float = 1e-8

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


@dataclass(frozen=True)
class MLFit:
    """A maximum-likelihood fit of positive parameters (the CLV models' common result).

    Attributes
    ----------
    params : Mapping[str, float]
        Estimates on the natural scale, in the model's parameter order.
    se : Mapping[str, float]
        Standard errors on the natural scale (delta method from ``cov``); NaN where the
        Hessian is not positive definite.
    cov : numpy.ndarray
        Covariance matrix of the LOG-parameters (inverse observed information).
    loglik : float
        Maximised log-likelihood (sum over customers, weights applied).
    n_customers : int
        Customers (sum of weights) the likelihood is taken over.
    converged : bool
        The optimiser reported success, no parameter sits on a bound and the Hessian is
        positive definite.
    message : str
        The optimiser's message, plus the reason when ``converged`` is false.
    """

    params: Mapping[str, float]
    se: Mapping[str, float]
    cov: np.ndarray
    loglik: float
    n_customers: int
    converged: bool
    message: str

    @property
    def log_params(self) -> np.ndarray:
        """Log of the estimates, in parameter order."""
        return np.log(np.array(list(self.params.values()), dtype=float))

    def params_frame(self, *, level: float = 0.95) -> pd.DataFrame:
        """Tidy table of the estimates.

        Parameters
        ----------
        level : float, default 0.95
            Coverage of the intervals (log-scale Wald intervals).

        Returns
        -------
        pandas.DataFrame
            One row per parameter: ``parameter`` (name), ``estimate``, ``se`` (natural scale,
            delta method), ``ci_lower``, ``ci_upper``.
        """
        z = stats.norm.ppf(0.5 + level / 2)
        se_log = np.sqrt(np.clip(np.diag(self.cov), 0, None))
        est = np.array(list(self.params.values()), dtype=float)
        return pd.DataFrame({
            "parameter": list(self.params), "estimate": est, "se": list(self.se.values()),
            "ci_lower": est * np.exp(-z * se_log), "ci_upper": est * np.exp(z * se_log)})

    def draw(self, n_draws: int, rng: np.random.Generator) -> np.ndarray:
        """Parameter vectors from the asymptotic normal of the log-parameters (natural scale).

        Returns an array of shape ``(n_draws, n_params)`` (the parametric bootstrap's draws).
        """
        cov = np.where(np.isfinite(self.cov), self.cov, 0.0)
        return np.exp(rng.multivariate_normal(self.log_params, cov, size=n_draws, method="eigh"))


def _hessian(objective: Objective, theta: np.ndarray) -> np.ndarray:
    """Hessian of ``objective`` at ``theta`` by central differences of its analytic gradient."""
    k = theta.size
    hess = np.empty((k, k))
    for j in range(k):
        step = 1e-5 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] -= step
        hess[:, j] = (objective(up)[1] - objective(down)[1]) / (2 * step)
    return (hess + hess.T) / 2


def fit_log_params(objective: Objective, theta0: np.ndarray, names: tuple[str, ...], *,
                   n_customers: float) -> dict:
    """Minimise ``objective`` (negative log-likelihood and its gradient in the log-parameters).

    The optimiser works on the mean negative log-likelihood per customer (well scaled
    whatever the sample size); the Hessian is taken on the sum.

    Returns
    -------
    dict
        The keyword arguments of :class:`MLFit` (``params, se, cov, loglik, n_customers,
        converged, message``).
    """
    scale = max(float(n_customers), 1.0)

    def scaled(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = objective(theta)
        return value / scale, grad / scale

    bounds = [LOG_BOUNDS] * len(names)
    res = optimize.minimize(scaled, np.clip(theta0, *LOG_BOUNDS), jac=True, method="L-BFGS-B",
                            bounds=bounds, options={"maxiter": 1000, "ftol": 1e-13, "gtol": GTOL})
    theta = res.x
    hess = _hessian(objective, theta)
    message = str(res.message)
    # a line search that stalls at the optimum (rounding) is a success when the gradient is ~0
    converged = bool(res.success) or bool(np.max(np.abs(scaled(theta)[1])) <= 100 * GTOL)
    try:
        np.linalg.cholesky(hess)
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        cov = np.full_like(hess, np.nan)
        converged = False
        message += "; the Hessian is not positive definite (no standard errors)"
    at_bound = [n for n, t in zip(names, theta) if min(abs(t - LOG_BOUNDS[0]), abs(t - LOG_BOUNDS[1])) < 1e-6]
    if at_bound:
        converged = False
        message += f"; parameter(s) {', '.join(at_bound)} on the bound of the search range"
    est = np.exp(theta)
    se = est * np.sqrt(np.diag(cov)) if np.all(np.isfinite(cov)) else np.full(len(names), np.nan)
    return {"params": MappingProxyType(dict(zip(names, est.tolist()))),
            "se": MappingProxyType(dict(zip(names, se.tolist()))), "cov": cov,
            "loglik": -float(objective(theta)[0]), "n_customers": int(round(n_customers)),
            "converged": converged, "message": message}
