//go:build !unix

package recsys

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
