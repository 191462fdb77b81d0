"""Developer tools: site build, local server, pen-data replay and evaluation."""
