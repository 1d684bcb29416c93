package httpapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/app"
)

// Every /author-data row carries log_index: the entry of this node's
// statement, null while it is not logged.
func TestAuthorDataRowsCarryLogIndex(t *testing.T) {
	t.Parallel()
	logged := fullPlugin()
	unlogged := fullPlugin()
	unlogged.LogIndex = nil
	v := viewAuthorData(app.AuthorListing{Source: "alice@a.example", Status: "active",
		Plugins: []app.AuthorEntry{{PluginView: logged}, {PluginView: unlogged}}}, map[string]string{}, "https://node.example")
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(raw), `"log_index":12`); got != 1 {
		t.Errorf(`%d rows with "log_index":12 in %s`, got, raw)
	}
	if got := strings.Count(string(raw), `"log_index":null`); got != 1 {
		t.Errorf(`%d rows with "log_index":null in %s`, got, raw)
	}
}
