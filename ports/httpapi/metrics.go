package httpapi

import "time"

// Observer receives what the API measures (adapters/metrics implements it).
type Observer interface {
	Request(route, method string, status int, took time.Duration)
	KeyUsed(keyID string)
}

// noObserver is used when the node runs without metrics (tests, tools).
type noObserver struct{}

func (noObserver) Request(string, string, int, time.Duration) {}
func (noObserver) KeyUsed(string)                             {}
