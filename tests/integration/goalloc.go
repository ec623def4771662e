// Test workload for `memsight profile`: a Go program whose named function,
// growRecordCache, allocates and touches memory, round after round; the heap is
// handed back to the kernel between rounds so every round faults again. Go keeps
// frame pointers (amd64, arm64), so its stacks walk without help.
// Prints its pid, then runs until killed.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
)

var records [][]byte

//go:noinline
func growRecordCache(mib int) {
	for i := 0; i < mib; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = byte(j)
		}
		records = append(records, b)
	}
}

func main() {
	fmt.Println(os.Getpid())
	for {
		growRecordCache(32)
		records = nil
		debug.FreeOSMemory()
	}
}
