//go:build unix

package recsys

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used; benchmarks report it per operation because
// wall time on a shared 2-core machine also counts other processes.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
