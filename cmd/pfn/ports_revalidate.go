package main

import (
	"context"

	"github.com/pfn-network/pfn/app"
)

var _ app.FileValidator = catalogPort{}

// Validate asks the publisher whether a held file is still the bytes of
// sha256 (a conditional HEAD), for a sync's revalidation.
func (p catalogPort) Validate(ctx context.Context, url, sha256 string) (app.FileValidation, error) {
	v, err := p.c.Revalidate(ctx, url, sha256)
	if err != nil {
		return app.FileValidation{}, publisherError{err}
	}
	return app.FileValidation{NotModified: v.NotModified, SHA256: v.SHA256}, nil
}
