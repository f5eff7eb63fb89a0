"""The whole platform as local processes: the supervisor behind `make run`, the tests and the benchmarks."""
