//go:build !linux

package main

// peakRSSMiB is not measured outside Linux (0).
func peakRSSMiB() float64 { return 0 }
