// sweep.cpp: backward's reverse loops (Tape::sweep, defined in sweep.hpp), compiled here, apart
// from the rest of tape.cpp: see sweep.hpp. Tape::backward chooses one of these.
#include "sweep.hpp"

namespace micrograd {

// The plain loops: (only reached nodes, check for non-finite numbers).
template Tape::Index Tape::sweep<false, false, false>(Index, Index);
template Tape::Index Tape::sweep<false, true, false>(Index, Index);
template Tape::Index Tape::sweep<true, false, false>(Index, Index);
template Tape::Index Tape::sweep<true, true, false>(Index, Index);
// The loops that skip runs of nodes with grad 0 eight at a time (graphs that fit in the caches).
template Tape::Index Tape::sweep<false, false, true>(Index, Index);
template Tape::Index Tape::sweep<true, false, true>(Index, Index);

}  // namespace micrograd
