"""The benchmark of SPEC section 10 (``make bench``): generators (``gen``), the runner (``run``), the chart."""
