"""The benchmark behind `make bench`: realistic organizations generated with set-based SQL
(`bench.generate`) and the pages, jobs and their floors measured against them (`bench.run`).
See bench/README.md."""
