package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/domain"
)

// A consumer subscribes, scheduled syncs run for it; an admin revokes the
// consumer's key: its subscription ends with an event that says why, the
// source's subscriber count drops to zero, and no scheduled sync asks the
// publisher for anything on the revoked key's behalf any more.
func TestRevokingAConsumerKeyEndsItsSubscriptions(t *testing.T) {
	t.Parallel()
	s := startOps(t, 2, "PFN_SYNC_INTERVAL=1s", "PFN_RETRY_BASE=1s", "PFN_HEALTH_INTERVAL=1h", "PFN_REVERIFY_INTERVAL=1h",
		"PFN_RECHECK_INTERVAL=1h")
	_, body := s.api.do(http.MethodPost, "/federation/create-admin-key", s.admin, map[string]string{"role": "consumer"})
	consumer, _ := body["key"].(string)
	if code, body := s.api.do(http.MethodPost, "/federation/subscribe", consumer, map[string]any{"sourceId": s.source}); code != http.StatusOK {
		t.Fatalf("subscribe = %d %v", code, body)
	}
	authorData := func() []int64 {
		var stats struct {
			AuthorData []int64 `json:"author_data_requests"`
		}
		_ = json.Unmarshal(publisherAdmin(t, s.pub, http.MethodGet, "/_admin/stats"), &stats)
		return stats.AuthorData
	}
	// The subscription's own sync, then scheduled ones.
	waitFor(t, "scheduled syncs for the consumer", 20*time.Second, func() (bool, string) {
		n := len(authorData())
		return n >= 3, fmt.Sprint(n, " /author-data requests")
	})
	subscriberCount := func() any {
		code, body := s.api.do(http.MethodGet, "/federation/sources", s.admin, nil)
		list, _ := body["sources"].([]any)
		if code != http.StatusOK || len(list) != 1 {
			t.Fatalf("sources = %d %v", code, body)
		}
		return list[0].(map[string]any)["subscriber_count"]
	}
	if n := subscriberCount(); n != 1.0 {
		t.Fatalf("test premise: subscriber count %v", n)
	}

	if code, body := s.api.do(http.MethodPost, "/federation/revoke-key", s.admin, map[string]string{"key": consumer}); code != http.StatusOK {
		t.Fatalf("revoke-key = %d %v", code, body)
	}

	t.Run("no subscription is left", func(t *testing.T) {
		code, body := s.api.do(http.MethodGet, "/federation/subscriptions", s.admin, nil)
		if list, _ := body["subscriptions"].([]any); code != http.StatusOK || len(list) != 0 {
			t.Fatalf("subscriptions = %d %v, want none", code, body)
		}
	})

	t.Run("the unsubscribe is an event with its reason and the admin as actor, without the key", func(t *testing.T) {
		code, body := s.api.do(http.MethodGet, "/federation/events?type="+domain.EventUnsubscribed+"&source="+url.QueryEscape(s.source), s.admin, nil)
		events, _ := body["events"].([]any)
		if code != http.StatusOK || len(events) != 1 {
			t.Fatalf("unsubscribe events = %d %v, want one", code, body)
		}
		raw, _ := json.Marshal(events[0])
		var ev struct {
			Metadata struct{ Actor string }
			Data     domain.Unsubscribed
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		adminKey, _ := domain.ParseKey(s.admin)
		consumerKey, _ := domain.ParseKey(consumer)
		if ev.Data.Reason != "key revoked" || ev.Data.Subscriber != consumerKey.ID || string(ev.Data.SourceID) != s.source ||
			ev.Metadata.Actor != adminKey.ID {
			t.Fatalf("event %s", raw)
		}
		if strings.Contains(string(raw), consumer) || strings.Contains(string(raw), s.admin) {
			t.Fatalf("event holds a secret key: %s", raw)
		}
	})

	t.Run("the subscriber count drops", func(t *testing.T) {
		if n := subscriberCount(); n != 0.0 {
			t.Fatalf("subscriber count %v, want 0", n)
		}
	})

	t.Run("scheduled syncs stop", func(t *testing.T) {
		// A sync that read the subscriptions before the revocation showed
		// may still ask the publisher, however late a loaded machine runs
		// it (it may wait up to scheduledSyncWait at the gate). Any sync
		// claimed from now on reads them after it. So: wait until no sync
		// job is leased (the last one that may have read them has
		// finished, its request made), then no request may come in four
		// sync intervals.
		conn, err := pgx.Connect(context.Background(), s.db)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		waitFor(t, "no sync running", scheduledSyncWait+30*time.Second, func() (bool, string) {
			var leased int
			err := conn.QueryRow(context.Background(), `SELECT count(*) FROM jobs WHERE kind = 'sync' AND leased_by IS NOT NULL`).Scan(&leased)
			return err == nil && leased == 0, fmt.Sprint(leased, " sync jobs leased ", err)
		})
		quiet := time.Now()
		time.Sleep(4 * time.Second)
		var after []int64
		for _, ms := range authorData() {
			if ms >= quiet.UnixMilli() {
				after = append(after, ms)
			}
		}
		if len(after) != 0 {
			t.Fatalf("%d /author-data requests after the revocation and the last sync that began before it (%d): %v",
				len(after), quiet.UnixMilli(), after)
		}
	})

	t.Run("the revoked key no longer subscribes", func(t *testing.T) {
		if code, body := s.api.do(http.MethodPost, "/federation/subscribe", consumer, map[string]any{"sourceId": s.source}); code != http.StatusUnauthorized {
			t.Fatalf("subscribe with the revoked key = %d %v", code, body)
		}
	})
}
