"""core/v1 kinds other than Pod: services, endpoints, nodes, namespaces, events, config, RCs."""

TEXT = """
@io.k8s.api.core.v1
Service gvk=/v1/Service -- A named abstraction of software service consisting of a port and a selector.
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  spec ServiceSpec
  status ServiceStatus
ServiceSpec
  ports []ServicePort k=port s=merge lk=port,protocol -- The list of ports exposed by this service.
  selector map[string] -- Route service traffic to pods with label keys and values matching this.
  clusterIP string -- clusterIP is the IP address of the service and is usually assigned randomly.
  clusterIPs []string
  type string -- ExternalName, ClusterIP, NodePort, and LoadBalancer.
  externalIPs []string
  sessionAffinity string -- Supports "ClientIP" and "None". Used to maintain session affinity.
  loadBalancerIP string
  loadBalancerSourceRanges []string
  externalName string -- externalName is the external reference that discovery mechanisms will return as an
      alias for this service (e.g. a DNS CNAME record).
  externalTrafficPolicy string
  healthCheckNodePort int32
  publishNotReadyAddresses boolean
  sessionAffinityConfig SessionAffinityConfig
  ipFamilies []string
  ipFamilyPolicy string
  allocateLoadBalancerNodePorts boolean
  loadBalancerClass string
  internalTrafficPolicy string
  trafficDistribution string
ServicePort
  name string -- The name of this port within the service. This must be a DNS_LABEL.
  protocol string -- The IP protocol for this port. Supports "TCP", "UDP", and "SCTP". Default is TCP.
  appProtocol string
  port int32 req -- The port that will be exposed by this service.
  targetPort IntOrString -- Number or name of the port to access on the pods targeted by the service.
  nodePort int32 -- The port on each node on which this service is exposed when type is NodePort or
      LoadBalancer.
SessionAffinityConfig
  clientIP ClientIPConfig
ClientIPConfig
  timeoutSeconds int32
ServiceStatus
  loadBalancer LoadBalancerStatus
  conditions []meta.Condition k=type s=merge
LoadBalancerStatus
  ingress []LoadBalancerIngress
LoadBalancerIngress
  ip string
  hostname string
  ipMode string
  ports []PortStatus
PortStatus
  port int32 req
  protocol string req
  error string
Endpoints gvk=/v1/Endpoints
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  subsets []EndpointSubset
EndpointSubset
  addresses []EndpointAddress
  notReadyAddresses []EndpointAddress
  ports []EndpointPort
EndpointAddress
  ip string req
  hostname string
  nodeName string
  targetRef ObjectReference
EndpointPort
  name string
  port int32 req
  protocol string
  appProtocol string
ObjectReference
  kind string
  namespace string
  name string
  uid string
  apiVersion string
  resourceVersion string
  fieldPath string
ReplicationController gvk=/v1/ReplicationController
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  spec ReplicationControllerSpec
  status ReplicationControllerStatus
ReplicationControllerSpec
  replicas int32
  minReadySeconds int32
  selector map[string]
  template PodTemplateSpec
ReplicationControllerStatus
  replicas int32 req
  fullyLabeledReplicas int32
  readyReplicas int32
  availableReplicas int32
  observedGeneration int64
  conditions []ReplicationControllerCondition k=type s=merge
ReplicationControllerCondition
  type string req
  status string req
  lastTransitionTime Time
  reason string
  message string
Node gvk=/v1/Node -- Node is a worker node in Kubernetes.
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  spec NodeSpec
  status NodeStatus
NodeSpec
  podCIDR string
  podCIDRs []string s=merge l=set
  providerID string
  unschedulable boolean -- Unschedulable controls node schedulability of new pods.
  taints []Taint -- If specified, the node's taints.
  configSource object
  externalID string
Taint
  key string req
  value string
  effect string req
  timeAdded Time
NodeStatus open
  capacity map[Quantity]
  allocatable map[Quantity]
  phase string
  conditions []NodeCondition k=type s=merge
  addresses []NodeAddress k=type s=merge
  daemonEndpoints NodeDaemonEndpoints
  nodeInfo NodeSystemInfo
  images []ContainerImage
  volumesInUse []string
  volumesAttached []object
  config object
  runtimeHandlers []object
  features object
NodeCondition
  type string req
  status string req
  lastHeartbeatTime Time
  lastTransitionTime Time
  reason string
  message string
NodeAddress
  type string req
  address string req
NodeDaemonEndpoints
  kubeletEndpoint DaemonEndpoint
DaemonEndpoint
  Port int32 req
NodeSystemInfo open
  machineID string
  systemUUID string
  bootID string
  kernelVersion string
  osImage string
  containerRuntimeVersion string
  kubeletVersion string
  kubeProxyVersion string
  operatingSystem string
  architecture string
ContainerImage
  names []string
  sizeBytes int64
Namespace gvk=/v1/Namespace -- Namespace provides a scope for Names.
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  spec NamespaceSpec
  status NamespaceStatus
NamespaceSpec
  finalizers []string -- Finalizers is an opaque list of values that must be empty to permanently remove
      object from storage.
NamespaceStatus
  phase string
  conditions []NamespaceCondition k=type s=merge
NamespaceCondition
  type string req
  status string req
  lastTransitionTime Time
  reason string
  message string
Event gvk=/v1/Event -- Event is a report of an event somewhere in the cluster.
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  involvedObject ObjectReference req
  reason string
  message string
  source EventSource
  firstTimestamp Time
  lastTimestamp Time
  count int32
  type string
  eventTime MicroTime
  series EventSeries
  action string
  related ObjectReference
  reportingComponent string
  reportingInstance string
EventSource
  component string
  host string
EventSeries
  count int32
  lastObservedTime MicroTime
ConfigMap gvk=/v1/ConfigMap -- ConfigMap holds configuration data for pods to consume.
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  immutable boolean -- Immutable, if set to true, ensures that data stored in the ConfigMap cannot be
      updated (only object metadata can be modified).
  data map[string] -- Data contains the configuration data.
  binaryData map[byte] -- BinaryData contains the binary data.
Secret gvk=/v1/Secret -- Secret holds secret data of a certain type.
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  immutable boolean
  data map[byte] -- Data contains the secret data. Each key must consist of alphanumeric characters, '-',
      '_' or '.'. The serialized form of the secret data is a base64 encoded string.
  stringData map[string] -- stringData allows specifying non-binary secret data in string form. It is
      provided as a write-only input field for convenience.
  type string -- Used to facilitate programmatic handling of secret data.
ServiceAccount gvk=/v1/ServiceAccount
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  secrets []ObjectReference k=name s=merge
  imagePullSecrets []LocalObjectReference
  automountServiceAccountToken boolean
PersistentVolumeClaim
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  spec PersistentVolumeClaimSpec
  status object
PersistentVolumeClaimSpec
  accessModes []string
  selector meta.LabelSelector
  resources VolumeResourceRequirements
  volumeName string
  storageClassName string
  volumeMode string
  dataSource object
  dataSourceRef object
  volumeAttributesClassName string
VolumeResourceRequirements
  limits map[Quantity]
  requests map[Quantity]
"""
