/* libglearn-passive.so: sets OMP_WAIT_POLICY=passive (unless the
 * environment sets a policy) before libgomp reads it.  Idle OpenMP threads
 * then sleep instead of spinning, whose threads collapse when other
 * processes share the cores (a Cora GraphMix run under load: 333 s
 * spinning, 12 s passive).  libgomp reads the policy once, in its own
 * initialiser; a program's constructors (and a setenv in its
 * .preinit_array, which libc's start-up overwrites) come too late, and
 * running the program again breaks valgrind and wrappers.  The dynamic
 * linker runs the initialisers of libraries that do not depend on each
 * other in the reverse order of the program's DT_NEEDED entries, so the
 * tools link this library after libgomp: its initialiser runs first. */
#include <stdlib.h>

__attribute__((constructor)) static void omp_passive(void) {
  setenv("OMP_WAIT_POLICY", "passive", 0);
}
