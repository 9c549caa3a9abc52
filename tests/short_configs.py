"""YAML pieces shared by tests that train small models on a few years of the sample."""

#: Target and the five core pillars with windows short enough for 5-8 years of data.
SHORT_TARGET_AND_FEATURES = """\
target: {small: SMALL_TR, large: LARGE_TR, horizon_days: 42}
features:
  - builder: flows.relative_flow
  - builder: valuations.relative_pe
    params: {window_days: 504, min_days: 126}
  - builder: positioning.net_spec_z
    params: {window_days: 252, min_days: 63}
  - builder: rate_expectations.cuts_priced
  - builder: rate_expectations.cuts_delivered
  - builder: earnings_revisions.breadth_spread
"""

#: A fast model and walk-forward.
SHORT_MODEL = """\
model: {bootstrap: 3}
evaluation: {min_train_days: 504, step_days: 252}
"""

#: A YAML alias bomb (9**9 strings once expanded), as mapping entries indented by four.
BILLION_LAUGHS = """\
    a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
    f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
    g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
    h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
    i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""
