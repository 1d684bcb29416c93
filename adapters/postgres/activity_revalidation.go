package postgres

import (
	"fmt"

	"github.com/pfn-network/pfn/domain"
)

// revalidationSummary says, after a sync's summary, what asking the
// publisher about the held versions found; "" when nothing was asked.
func revalidationSummary(r domain.Revalidation) string {
	if r.Revalidated == 0 && r.NoValidator == 0 {
		return ""
	}
	return fmt.Sprintf("; %d held versions revalidated at the publisher, %d without a validator (left to the daily recheck)",
		r.Revalidated, r.NoValidator)
}
