package app_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// peerStub is another node as the app sees it through its port.
type peerStub struct {
	node    app.PeerNode
	err     error
	sources []string
	hang    bool // until the look-up's deadline
}

func (p peerStub) PeerNode(ctx context.Context, _ string) (app.PeerNode, error) {
	if p.hang {
		<-ctx.Done()
		return app.PeerNode{}, ctx.Err() // as the client reports a caller's deadline
	}
	return p.node, p.err
}

func (p peerStub) SourceIDs(context.Context, string, int) ([]string, error) {
	if p.sources == nil {
		return nil, errors.New("kept to its admins")
	}
	return p.sources, nil
}

func TestGetPeerInfo(t *testing.T) {
	t.Parallel()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(pub)
	id := domain.KeyID(pub)
	node := app.PeerNode{Features: []string{"pfn-node/v1"}, Keys: []app.PeerKey{{KeyID: id, PublicKey: b64}, {KeyID: "old", PublicKey: "x"}}}
	tests := []struct {
		name      string
		by        app.Principal
		url       string
		peer      peerStub
		want      app.PeerInfo
		wantErr   error
		notErr    error // must not match: it would map to another status
		wantField string
		says      string
	}{
		{name: "a node", by: admin, url: "HTTP://Node.Example:80/", peer: peerStub{node: node, sources: []string{"a@h"}},
			want: app.PeerInfo{URL: "http://node.example", NodeKeyID: id, PublicKey: b64, Features: node.Features, PFNNode: true, Sources: []string{"a@h"}}},
		{name: "sources kept to its admins", by: admin, url: "https://n.example", peer: peerStub{node: app.PeerNode{Keys: node.Keys}},
			want: app.PeerInfo{URL: "https://n.example", NodeKeyID: id, PublicKey: b64, Sources: []string{}}},
		{name: "a consumer", by: consumer, url: "https://n.example", wantErr: domain.ErrForbidden},
		{name: "no url", by: admin, url: "", wantErr: domain.ErrInvalidInput, wantField: "url"},
		{name: "not http", by: admin, url: "ftp://n.example", wantErr: domain.ErrInvalidInput, wantField: "url"},
		{name: "a publisher", by: admin, url: "https://n.example", peer: peerStub{node: app.PeerNode{}},
			wantErr: domain.ErrPublisher, says: "lists no node key"},
		{name: "a key that is none", by: admin, url: "https://n.example", peer: peerStub{node: app.PeerNode{Keys: []app.PeerKey{{KeyID: "k", PublicKey: "nope"}}}},
			wantErr: domain.ErrPublisher, notErr: domain.ErrInvalidInput, says: `its node key "k"`},
		{name: "another key id", by: admin, url: "https://n.example", peer: peerStub{node: app.PeerNode{Keys: []app.PeerKey{{KeyID: "0000000000000000", PublicKey: b64}}}},
			wantErr: domain.ErrPublisher, says: "that key's id is " + id},
		{name: "unreachable", by: admin, url: "https://n.example", peer: peerStub{err: errors.New("connection refused: " + domain.ErrPublisher.Error())},
			says: "connection refused"},
		{name: "too slow", by: admin, url: "https://n.example", peer: peerStub{hang: true},
			wantErr: domain.ErrPublisher, notErr: context.DeadlineExceeded, says: "did not answer /federation-info within 50ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := app.GetPeerInfo{Peers: tt.peer, Timeout: 50 * time.Millisecond}
			got, err := h.Handle(context.Background(), tt.by, tt.url)
			if tt.wantErr == nil && tt.says == "" {
				if err != nil || !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("Handle = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("error %v, want %v saying %q", err, tt.wantErr, tt.says)
			}
			if tt.notErr != nil && errors.Is(err, tt.notErr) {
				t.Errorf("error %v also matches %v", err, tt.notErr)
			}
			var fe *domain.FieldError
			if tt.wantField != "" && (!errors.As(err, &fe) || fe.Field != tt.wantField) {
				t.Errorf("error %v names no field %q", err, tt.wantField)
			}
		})
	}
}
