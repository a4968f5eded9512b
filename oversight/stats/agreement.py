"""Agreement between judges who judged the same material: raw percent agreement and Cohen's kappa.

Re-judging a run (or importing human verdicts) puts several judges on identical (transcript,
view) pairs; a paper wants to say how often they agree beyond chance. Definitions (also in
each row's `method`):

- A judgment's labels come from its protocol (the caller passes them in): a choice judgment
  (debate) has one label, the answer it picked in the ORIGINAL answer order, or "invalid" when
  it could not be read (invalid is a category, never dropped). A graded flaw judgment
  (critique) has one label per gold flaw: "found" or "missed". A failed judgment (the call
  never answered) or an ungraded one has no labels; it is counted in the row's `unscored`,
  never compared.
- Which records count: one per rater and view, the latest standing (oversight.stats.raters),
  the view as the protocol reads it (the caller passes it in). A judge id that covers several
  people (an imported study's offline judges) has one record per person on a view, and each is
  a verdict of its own.
- Two judges are compared on the (transcript, view) pairs both judged, using EVERY pair of
  their verdicts there (two offline people against one live judge are two pairs); items are
  the labels of a pair (one per choice, one per gold flaw). Percent agreement = share of
  items with the same label. Cohen's kappa = (p_o - p_e) / (1 - p_e) with p_e from each
  judge's own label frequencies; it is undefined (null) when p_e = 1, i.e. both judges gave
  one and the same label every time.
- 95% intervals: percent agreement is a proportion: Wilson, cluster-adjusted by transcript
  (honest at 0 and 1 agreement). Kappa: percentile bootstrap that resamples transcripts (a
  transcript's orders, flaws and pairs stay together), 2000 resamples, seed 0. Its interval is
  null, with `kappa_ci_reason`, when it cannot be honest: fewer than MIN_BOOTSTRAP_UNITS
  transcripts, one judge giving a single label throughout (kappa is then 0 in every resample
  by construction), or fewer than 95% of the resamples giving a defined kappa.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import combinations
from typing import Any

import numpy as np

from oversight.core.words import count
from oversight.stats.raters import ViewOf, standing
from oversight.stats.estimates import MIN_BOOTSTRAP_UNITS, ci_cell, cluster_proportion, judge_name

Labels = Callable[[dict[str, Any]], dict[str, str] | None]
"""A judgment -> its labels by sub-item, or None when it has nothing to compare (a failed call)."""

N_BOOT = 2000
SEED = 0
MIN_DEFINED = 0.95
METHOD = (f"agreement: Wilson cluster-adjusted by transcript; kappa: percentile bootstrap over transcripts "
          f"({N_BOOT} resamples, seed {SEED}; none below {MIN_BOOTSTRAP_UNITS} transcripts)")


def _by_judge(judgments: list[dict[str, Any]],
              view_of: ViewOf) -> dict[str, dict[tuple[str, str], list[dict[str, Any]]]]:
    """judge -> (transcript, view key) -> its standing records (one per rater, in a fixed order).
    A record without a view key (a run's own single-view judge) takes the transcript's one view
    key when the others agree on one."""
    records = standing(judgments, view_of)
    keys: dict[str, set[str]] = defaultdict(set)
    for j in records:
        key = view_of(j) or ""
        if key:
            keys[str(j.get("transcript_id"))].add(key)
    out: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for j in records:
        tid = str(j.get("transcript_id"))
        key = view_of(j) or ""
        if not key:
            known = keys.get(tid, set())
            key = next(iter(known)) if len(known) == 1 else ""
        out[judge_name(j)][(tid, key)].append(j)
    return out


def kappa_from_counts(confusion: np.ndarray) -> np.ndarray:
    """Cohen's kappa for a stack of K x K confusion matrices (..., K, K); NaN where undefined."""
    confusion = np.asarray(confusion, dtype=float)
    n = confusion.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        p_o = np.trace(confusion, axis1=-2, axis2=-1) / n
        p_e = (confusion.sum(axis=-1) * confusion.sum(axis=-2)).sum(axis=-1) / (n * n)
        kappa = (p_o - p_e) / (1.0 - p_e)
    return np.where(np.isclose(p_e, 1.0) | (n == 0), np.nan, kappa)


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa of two label sequences of equal length; None when undefined (p_e = 1 or empty)."""
    cats = sorted(set(a) | set(b))
    index = {c: i for i, c in enumerate(cats)}
    confusion = np.zeros((len(cats), len(cats)))
    np.add.at(confusion, ([index[x] for x in a], [index[y] for y in b]), 1)
    value = float(kappa_from_counts(confusion)) if len(a) else float("nan")
    return None if np.isnan(value) else value


def _percentile_ci(values: np.ndarray) -> list[float | None]:
    """The 2.5th and 97.5th percentiles as oversight.stats.estimates picks them (nearest rank on the sorted list)."""
    values = np.sort(values)
    last = len(values) - 1
    return [round(float(values[round(0.025 * last)]), 4), round(float(values[round(0.975 * last)]), 4)]


def _resampled_counts(per_cluster: np.ndarray, chunk: int = 100) -> np.ndarray:
    """Summed confusion counts of N_BOOT resamples of clusters (with replacement), in chunks so
    memory stays at chunk x clusters however large the run."""
    rng = np.random.default_rng(SEED)
    n = len(per_cluster)
    out = np.empty((N_BOOT, per_cluster.shape[1]))
    for start in range(0, N_BOOT, chunk):
        draws = rng.integers(0, n, size=(min(chunk, N_BOOT - start), n))
        weights = np.zeros((len(draws), n))
        np.add.at(weights, (np.repeat(np.arange(len(draws)), n), draws.ravel()), 1)
        out[start:start + len(draws)] = weights @ per_cluster
    return out


def agreement_stats(items: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Agreement and kappa with bootstrap CIs from items (cluster, label of judge A, label of judge B)."""
    if not items:  # no shared item: nothing to agree on, said as such rather than as 0
        return {"items": 0, "transcripts": 0, "agreement": None, "agreement_ci": None, "agreement_ci_method": None,
                "kappa": None, "kappa_ci": None, "kappa_ci_reason": "no items: the two judges share none",
                "agreement_ci_reason": "no items: the two judges share none"}
    cats = sorted({x for _, a, b in items for x in (a, b)})
    index = {c: i for i, c in enumerate(cats)}
    clusters = sorted({c for c, _, _ in items})
    where = {c: i for i, c in enumerate(clusters)}
    k = len(cats)
    per_cluster = np.zeros((len(clusters), k * k))
    cell = [where[c] for c, _, _ in items], [index[a] * k + index[b] for _, a, b in items]
    np.add.at(per_cluster, cell, 1)
    total = per_cluster.sum(axis=0).reshape(k, k)
    n = int(total.sum())
    kappa = float(kappa_from_counts(total))
    diagonal = [i * k + i for i in range(k)]
    agree = cluster_proportion(np.column_stack([per_cluster[:, diagonal].sum(axis=1), per_cluster.sum(axis=1)]))
    reason = None
    # A judge who gave one label throughout makes kappa 0 (or 0/0) whatever the other judge did:
    # by construction, not a finding, so neither the value nor an interval is given.
    one_label = len({a for _, a, _ in items}) < 2 or len({b for _, _, b in items}) < 2
    if one_label:
        reason = "one label: a judge gave the same label throughout, so kappa is 0 or undefined by construction"
    elif len(clusters) < MIN_BOOTSTRAP_UNITS:
        reason = (f"n too small: {count(len(clusters), 'transcript')}, the bootstrap needs at least "
                  f"{MIN_BOOTSTRAP_UNITS}")
    kappa_ci: list[float | None] | None = None
    if reason is None:
        boot_kappa = kappa_from_counts(_resampled_counts(per_cluster).reshape(N_BOOT, k, k))
        defined = boot_kappa[~np.isnan(boot_kappa)]
        if len(defined) < MIN_DEFINED * N_BOOT:
            reason = "undefined: kappa is undefined in more than 5% of the resamples"
        elif float(defined.min()) == float(defined.max()):
            reason = "no variation: every resample gives the same kappa, so resampling cannot show the uncertainty"
        else:
            kappa_ci = _percentile_ci(defined)
    out = {
        "items": n,
        "transcripts": len(clusters),
        "agreement": round(float(np.trace(total)) / n, 4),
        "agreement_ci": agree.ci,
        "agreement_ci_method": agree.ci_method,
        "kappa": None if one_label or np.isnan(kappa) else round(kappa, 4),
        "kappa_ci": kappa_ci,
    }
    if reason is not None:
        out["kappa_ci_reason"] = reason
    return out


def agreement_table(judgments: list[dict[str, Any]], labels: Labels, view_of: ViewOf) -> list[dict[str, Any]]:
    """One row per pair of judges that judged at least one same (transcript, view) pair, compared
    on the labels `labels` gives each judgment (the protocol's `agreement_labels`); `view_of`
    reads the view a judgment answered (its `judgment_view_key`)."""
    judges = _by_judge(judgments, view_of)
    rows = []
    for a, b in combinations(sorted(judges), 2):
        shared = sorted(set(judges[a]) & set(judges[b]))
        if not shared:
            continue
        items: list[tuple[str, str, str]] = []
        unscored = pairs = 0
        for view in shared:
            for ra in judges[a][view]:
                for rb in judges[b][view]:
                    pairs += 1
                    la, lb = labels(ra), labels(rb)
                    if la is None or lb is None:
                        unscored += 1
                        continue
                    items.extend((view[0], la[s], lb[s]) for s in sorted(set(la) & set(lb)))
        row: dict[str, Any] = {"judge A": a, "judge B": b, "shared": len(shared), "pairs": pairs,
                               "unscored": unscored}
        row.update(agreement_stats(items))
        if not items:  # the judges share views, but no pair of their judgments has labels on both sides
            reason = "no scored pair: every shared judgment was invalid or failed on one side or both"
            row.update(agreement_ci_reason=reason, kappa_ci_reason=reason)
        row["method"] = METHOD
        rows.append(row)
    return rows


def agreement_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The agreement table as printed: an interval that was not given shows its reason."""
    return [{"judges": f"{r['judge A']} vs {r['judge B']}", "views": r["shared"],
             "transcripts": r.get("transcripts", 0), "pairs": r.get("pairs"),
             "labels": r["items"], "agree": r["agreement"],
             "95% CI": ci_cell({"ci": r["agreement_ci"], "ci_reason": r.get("agreement_ci_reason")}),
             "kappa": r["kappa"],
             "kappa CI": ci_cell({"ci": r["kappa_ci"], "ci_reason": r.get("kappa_ci_reason")}),
             "unscored": r["unscored"]} for r in rows]


__all__ = ["METHOD", "agreement_rows", "agreement_stats", "agreement_table", "cohen_kappa", "judge_name", "Labels"]
