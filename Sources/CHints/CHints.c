// The hints are static inline functions in include/CHints.h; SwiftPM needs one source file.
#include "CHints.h"
