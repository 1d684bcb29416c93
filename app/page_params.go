package app

import (
	"fmt"
	"strconv"

	"github.com/pfn-network/pfn/domain"
)

// pageLimit reads a page size sent as text: a whole number from 1 to most.
func pageLimit(raw string, most int) (int, error) {
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > most {
		return 0, domain.InField("limit", fmt.Errorf("limit must be a whole number from 1 to %d: %w", most, domain.ErrInvalidInput))
	}
	return n, nil
}

// sourceFilter reads a source id that filters a list ("" filters nothing).
func sourceFilter(raw string) (domain.SourceID, error) {
	if raw == "" {
		return "", nil
	}
	id, err := domain.ParseSourceID(raw)
	if err != nil {
		return "", domain.InField("source", err)
	}
	return id, nil
}
