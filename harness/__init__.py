"""What the tests and the benchmarks share: real servers started over loopback (vLLM, the
adapter, a router, the compose stack), tiny random-weight models, sample pages and the
`ocrkit` command run as a user runs it. Not shipped: it lives beside tests/ and bench/."""
