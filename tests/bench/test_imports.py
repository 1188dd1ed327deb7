"""The bench's modules import one another one way: the harness (run) uses the load and fault tests,
and what they share (the server, paths, URL contexts, Markdown) sits below all three."""

import grimp


def test_no_bench_module_imports_a_module_that_imports_it():
    # Imports inside functions count too: a circle closed lazily is still a circle to a reader.
    graph = grimp.build_graph("bench", cache_dir=None)
    circles = [
        (importer, imported)
        for importer in sorted(graph.modules)
        for imported in sorted(graph.find_modules_directly_imported_by(importer))
        if graph.chain_exists(importer=imported, imported=importer)
    ]
    assert circles == []


def test_the_harness_uses_the_load_and_fault_tests_and_not_the_other_way_round():
    graph = grimp.build_graph("bench", cache_dir=None)
    assert graph.direct_import_exists(importer="bench.run", imported="bench.load")
    assert graph.direct_import_exists(importer="bench.run", imported="bench.fault")
    for shared in ("bench.server", "bench.paths", "bench.context", "bench.report", "bench.prepare"):
        for test in ("bench.run", "bench.load", "bench.fault"):
            assert not graph.chain_exists(importer=shared, imported=test), (shared, test)
