package domain

// Each stream's event interface is sealed: an unexported method that only
// that stream's events have. Without it the interfaces overlap (a health
// check has EventType and OccurredAt, as a source event does; every plugin
// event would pass for a subscription event), and a decoder asserting the
// stream's interface (eventstore.DecodeAs) would take another aggregate's
// event for one of its own.

func (SourceRegistered) sourceEvent()             {}
func (PublisherInfoRefreshed) sourceEvent()       {}
func (OwnershipVerified) sourceEvent()            {}
func (OwnershipVerificationFailed) sourceEvent()  {}
func (SourceHealthChecked) sourceEvent()          {}
func (SourceTrustAdjusted) sourceEvent()          {}
func (SourceStatusChanged) sourceEvent()          {}
func (SourceSignatureChecked) sourceEvent()       {}
func (SourceSubscriberCountChanged) sourceEvent() {}
func (SourceSynced) sourceEvent()                 {}
func (SourceHealthSummarized) sourceEvent()       {}
func (SourceFailureRecorded) sourceEvent()        {}
func (SourceAssetHostsAllowed) sourceEvent()      {}
func (SourceListingRefused) sourceEvent()         {}
func (SourceSuspended) sourceEvent()              {}
func (SourceResumed) sourceEvent()                {}
func (SourceUpstreamStatusChanged) sourceEvent()  {}
func (SourceRemoved) sourceEvent()                {}
func (SourceFilesDeleted) sourceEvent()           {}
func (SourceKeyRotated) sourceEvent()             {}
func (SourceKeyRotationRefused) sourceEvent()     {}
func (SourceLogInconsistent) sourceEvent()        {}
func (SourceLogAccepted) sourceEvent()            {}

func (PluginMirrored) pluginEvent()           {}
func (PluginRejected) pluginEvent()           {}
func (PluginTampered) pluginEvent()           {}
func (PluginRolledBack) pluginEvent()         {}
func (PluginVersionUpdated) pluginEvent()     {}
func (PluginPruned) pluginEvent()             {}
func (PluginStoredCopyDamaged) pluginEvent()  {}
func (PluginStoredCopyRestored) pluginEvent() {}
func (PluginYanked) pluginEvent()             {}
func (PluginUnyanked) pluginEvent()           {}
func (PluginSourceRemoved) pluginEvent()      {}

func (Subscribed) subscriptionEvent()                 {}
func (SubscriptionFiltersChanged) subscriptionEvent() {}
func (Unsubscribed) subscriptionEvent()               {}

func (APIKeyIssued) apiKeyEvent()  {}
func (APIKeyRevoked) apiKeyEvent() {}
