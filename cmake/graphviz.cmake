# Filled in by the graph-drawing work: links libgvc into micrograd when available.
