"""coordination.k8s.io, discovery.k8s.io and events.k8s.io."""

TEXT = """
@io.k8s.api.coordination.v1
Lease gvk=coordination.k8s.io/v1/Lease
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  spec LeaseSpec
LeaseSpec
  holderIdentity string
  leaseDurationSeconds int32
  acquireTime MicroTime
  renewTime MicroTime
  leaseTransitions int32
  strategy string
  preferredHolder string

@io.k8s.api.discovery.v1
EndpointSlice gvk=discovery.k8s.io/v1/EndpointSlice
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  addressType string req
  endpoints []Endpoint req
  ports []EndpointPort
Endpoint
  addresses []string req l=set
  conditions EndpointConditions
  hostname string
  targetRef core.ObjectReference
  deprecatedTopology map[string]
  nodeName string
  zone string
  hints EndpointHints
EndpointConditions
  ready boolean
  serving boolean
  terminating boolean
EndpointHints
  forZones []ForZone
  forNodes []ForNode
ForZone
  name string req
ForNode
  name string req
EndpointPort
  name string
  protocol string
  port int32
  appProtocol string

@io.k8s.api.events.v1
Event gvk=events.k8s.io/v1/Event
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  eventTime MicroTime req
  series EventSeries
  reportingController string
  reportingInstance string
  action string
  reason string
  regarding core.ObjectReference
  related core.ObjectReference
  note string
  type string
  deprecatedSource core.EventSource
  deprecatedFirstTimestamp Time
  deprecatedLastTimestamp Time
  deprecatedCount int32
EventSeries
  count int32 req
  lastObservedTime MicroTime req
"""
