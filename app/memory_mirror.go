package app

import (
	"context"
	"slices"
	"sync"

	"github.com/pfn-network/pfn/domain"
)

var (
	_ PluginHistories = (*MemoryMirror)(nil)
	_ StorageUsage    = (*MemoryMirror)(nil)
	_ SourcePlugins   = (*MemoryMirror)(nil)
)

type pluginKey struct {
	source domain.SourceID
	plugin string
}

// MemoryMirror keeps plugin histories beside the source streams of
// Sources, and is the StorageUsage read model of what they record. SaveAll
// is all or nothing, as the event store's transaction: a stale history or
// source is domain.ErrConflict and nothing is written.
type MemoryMirror struct {
	Sources *MemorySources

	mu      sync.Mutex
	streams map[pluginKey][]domain.PluginEvent
	log     []domain.PluginEvent // every stream's events in the order saved
}

// Events is a copy of a plugin's stored stream.
func (m *MemoryMirror) Events(source domain.SourceID, plugin string) []domain.PluginEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]domain.PluginEvent(nil), m.streams[pluginKey{source, plugin}]...)
}

// PluginSlugs lists the plugins of source that have a stream, in order.
func (m *MemoryMirror) PluginSlugs(_ context.Context, source domain.SourceID) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range m.streams {
		if k.source == source {
			out = append(out, k.plugin)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (m *MemoryMirror) LoadAll(_ context.Context, source domain.SourceID, plugins []string) (map[string]*domain.PluginHistory, error) {
	out := make(map[string]*domain.PluginHistory, len(plugins))
	for _, p := range plugins {
		h := domain.NewPluginHistory(source, p)
		h.Load(m.Events(source, p))
		out[p] = h
	}
	return out, nil
}

func (m *MemoryMirror) SaveAll(_ context.Context, hs []*domain.PluginHistory, source *domain.Source) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	src := m.Sources
	src.mu.Lock()
	defer src.mu.Unlock()
	for _, h := range hs {
		k := pluginKey{h.Source, h.Plugin}
		if len(h.Changes()) > 0 && int(h.Version()) != len(m.streams[k]) {
			return conflict("plugin-"+string(k.source)+"/"+k.plugin, int(h.Version()), len(m.streams[k]))
		}
	}
	id := source.State().ID
	if n := len(src.streams[id]); len(source.Changes()) > 0 && int(source.Version()) != n {
		return conflict(string(id), int(source.Version()), n)
	}
	if m.streams == nil {
		m.streams = map[pluginKey][]domain.PluginEvent{}
	}
	for _, h := range hs {
		k := pluginKey{h.Source, h.Plugin}
		m.streams[k] = append(m.streams[k], h.Changes()...)
		m.log = append(m.log, h.Changes()...)
		h.MarkSaved()
	}
	if len(source.Changes()) > 0 {
		if src.streams == nil {
			src.streams = map[domain.SourceID][]domain.SourceEvent{}
		}
		src.streams[id] = append(src.streams[id], source.Changes()...)
	}
	source.MarkSaved()
	return nil
}

// StoredVersions lists the kept versions of a source, oldest mirrored
// first, with the stored copy's last verdict.
func (m *MemoryMirror) StoredVersions(_ context.Context, source domain.SourceID) ([]StoredVersion, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []StoredVersion
	at := map[[2]string]int{} // (plugin, version) → index in out
	for _, e := range m.log {
		switch e := e.(type) {
		case domain.PluginMirrored:
			if e.SourceID == source {
				at[[2]string{e.Plugin, e.Version}] = len(out)
				out = append(out, StoredVersion{Plugin: e.Plugin, Version: e.Version, Size: e.Size, SHA256: e.SHA256, BlobKey: e.BlobKey})
			}
		case domain.PluginPruned:
			if i, ok := at[[2]string{e.Plugin, e.Version}]; ok && e.SourceID == source {
				out[i].Plugin = "" // dropped below
			}
		case domain.PluginSourceRemoved:
			for k, i := range at {
				if k[0] == e.Plugin && e.SourceID == source {
					out[i].Plugin = ""
					delete(at, k)
				}
			}
		case domain.PluginStoredCopyDamaged:
			if i, ok := at[[2]string{e.Plugin, e.Version}]; ok && e.SourceID == source {
				out[i].Damaged = true
			}
		case domain.PluginStoredCopyRestored:
			if i, ok := at[[2]string{e.Plugin, e.Version}]; ok && e.SourceID == source {
				out[i].Damaged = false
			}
		}
	}
	kept := out[:0]
	for _, v := range out {
		if v.Plugin != "" {
			kept = append(kept, v)
		}
	}
	return kept, nil
}
