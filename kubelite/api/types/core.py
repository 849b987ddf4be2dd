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
  clusterIP string
  clusterIPs []string
  type string -- ExternalName, ClusterIP, NodePort, and LoadBalancer.
  externalIPs []string
  sessionAffinity string
  loadBalancerIP string
  loadBalancerSourceRanges []string
  externalName string
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
  name string
  protocol string
  appProtocol string
  port int32 req
  targetPort IntOrString
  nodePort int32
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
  taints []Taint
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
  finalizers []string
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
  immutable boolean
  data map[string]
  binaryData map[byte]
Secret gvk=/v1/Secret -- Secret holds secret data of a certain type.
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  immutable boolean
  data map[byte]
  stringData map[string]
  type string
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
