"""core/v1 Pod and everything a PodSpec holds."""

TEXT = """
@io.k8s.api.core.v1
Pod gvk=/v1/Pod -- Pod is a collection of containers that can run on a host.
  apiVersion string -- APIVersion defines the versioned schema of this representation of an object.
  kind string -- Kind is a string value representing the REST resource this object represents.
  metadata meta.ObjectMeta -- Standard object's metadata.
  spec PodSpec -- Specification of the desired behavior of the pod.
  status PodStatus -- Most recently observed status of the pod.
PodTemplateSpec
  metadata meta.ObjectMeta
  spec PodSpec
PodSpec -- PodSpec is a description of a pod.
  volumes []Volume k=name s=merge,retainKeys -- List of volumes that can be mounted by containers.
  initContainers []Container k=name s=merge -- Containers run in order before the app containers.
  containers []Container k=name s=merge req -- List of containers belonging to the pod.
  ephemeralContainers []EphemeralContainer k=name s=merge
  restartPolicy string -- Restart policy for all containers within the pod: Always, OnFailure, Never.
  terminationGracePeriodSeconds int64
  activeDeadlineSeconds int64
  dnsPolicy string
  nodeSelector map[string]
  serviceAccountName string
  serviceAccount string
  automountServiceAccountToken boolean
  nodeName string -- Request to schedule this pod onto a specific node.
  hostNetwork boolean
  hostPID boolean
  hostIPC boolean
  shareProcessNamespace boolean
  securityContext PodSecurityContext
  imagePullSecrets []LocalObjectReference k=name s=merge
  hostname string
  subdomain string
  affinity Affinity
  schedulerName string
  tolerations []Toleration
  hostAliases []HostAlias k=ip s=merge
  priorityClassName string
  priority int32
  dnsConfig PodDNSConfig
  readinessGates []PodReadinessGate
  runtimeClassName string
  enableServiceLinks boolean
  preemptionPolicy string
  overhead map[Quantity]
  topologySpreadConstraints []TopologySpreadConstraint k=topologyKey s=merge lk=topologyKey,whenUnsatisfiable
  setHostnameAsFQDN boolean
  os PodOS
  hostUsers boolean
  schedulingGates []PodSchedulingGate k=name s=merge
  resourceClaims []PodResourceClaim k=name s=merge,retainKeys
  resources ResourceRequirements
Container -- A single application container that you want to run within a pod.
  name string req -- Name of the container specified as a DNS_LABEL.
  image string -- Container image name.
  command []string -- Entrypoint array.
  args []string -- Arguments to the entrypoint.
  workingDir string
  ports []ContainerPort k=containerPort s=merge lk=containerPort,protocol -- Ports to expose.
  envFrom []EnvFromSource
  env []EnvVar k=name s=merge -- Environment variables to set in the container.
  resources ResourceRequirements -- Compute resources required by this container.
  resizePolicy []ContainerResizePolicy
  restartPolicy string
  volumeMounts []VolumeMount k=mountPath s=merge
  volumeDevices []VolumeDevice k=devicePath s=merge
  livenessProbe Probe
  readinessProbe Probe
  startupProbe Probe
  lifecycle Lifecycle
  terminationMessagePath string
  terminationMessagePolicy string
  imagePullPolicy string -- Always, Never, IfNotPresent.
  securityContext SecurityContext
  stdin boolean
  stdinOnce boolean
  tty boolean
EphemeralContainer
  name string req
  image string
  command []string
  args []string
  workingDir string
  ports []ContainerPort k=containerPort s=merge lk=containerPort,protocol
  envFrom []EnvFromSource
  env []EnvVar k=name s=merge
  resources ResourceRequirements
  resizePolicy []ContainerResizePolicy
  restartPolicy string
  volumeMounts []VolumeMount k=mountPath s=merge
  volumeDevices []VolumeDevice k=devicePath s=merge
  livenessProbe Probe
  readinessProbe Probe
  startupProbe Probe
  lifecycle Lifecycle
  terminationMessagePath string
  terminationMessagePolicy string
  imagePullPolicy string
  securityContext SecurityContext
  stdin boolean
  stdinOnce boolean
  tty boolean
  targetContainerName string
ContainerPort
  name string
  hostPort int32
  containerPort int32 req
  protocol string
  hostIP string
EnvVar
  name string req
  value string
  valueFrom EnvVarSource
EnvVarSource
  fieldRef ObjectFieldSelector
  resourceFieldRef ResourceFieldSelector
  configMapKeyRef ConfigMapKeySelector
  secretKeyRef SecretKeySelector
ObjectFieldSelector
  apiVersion string
  fieldPath string req
ResourceFieldSelector
  containerName string
  resource string req
  divisor Quantity
ConfigMapKeySelector
  name string
  key string req
  optional boolean
SecretKeySelector
  name string
  key string req
  optional boolean
EnvFromSource
  prefix string
  configMapRef ConfigMapEnvSource
  secretRef SecretEnvSource
ConfigMapEnvSource
  name string
  optional boolean
SecretEnvSource
  name string
  optional boolean
ResourceRequirements
  limits map[Quantity] -- Maximum amount of compute resources allowed.
  requests map[Quantity] -- Minimum amount of compute resources required.
  claims []ResourceClaim l=map lk=name
ResourceClaim
  name string req
  request string
ContainerResizePolicy
  resourceName string req
  restartPolicy string req
VolumeMount
  name string req
  readOnly boolean
  recursiveReadOnly string
  mountPath string req
  subPath string
  mountPropagation string
  subPathExpr string
VolumeDevice
  name string req
  devicePath string req
Probe
  exec ExecAction
  httpGet HTTPGetAction
  tcpSocket TCPSocketAction
  grpc GRPCAction
  initialDelaySeconds int32
  timeoutSeconds int32
  periodSeconds int32
  successThreshold int32
  failureThreshold int32
  terminationGracePeriodSeconds int64
ExecAction
  command []string
HTTPGetAction
  path string
  port IntOrString req
  host string
  scheme string
  httpHeaders []HTTPHeader
HTTPHeader
  name string req
  value string req
TCPSocketAction
  port IntOrString req
  host string
GRPCAction
  port int32 req
  service string
Lifecycle
  postStart LifecycleHandler
  preStop LifecycleHandler
  stopSignal string
LifecycleHandler
  exec ExecAction
  httpGet HTTPGetAction
  tcpSocket TCPSocketAction
  sleep SleepAction
SleepAction
  seconds int64 req
SecurityContext
  capabilities Capabilities
  privileged boolean
  seLinuxOptions SELinuxOptions
  windowsOptions WindowsSecurityContextOptions
  runAsUser int64
  runAsGroup int64
  runAsNonRoot boolean
  readOnlyRootFilesystem boolean
  allowPrivilegeEscalation boolean
  procMount string
  seccompProfile SeccompProfile
  appArmorProfile AppArmorProfile
Capabilities
  add []string
  drop []string
SELinuxOptions
  user string
  role string
  type string
  level string
WindowsSecurityContextOptions
  gmsaCredentialSpecName string
  gmsaCredentialSpec string
  runAsUserName string
  hostProcess boolean
SeccompProfile
  type string req
  localhostProfile string
AppArmorProfile
  type string req
  localhostProfile string
PodSecurityContext
  seLinuxOptions SELinuxOptions
  windowsOptions WindowsSecurityContextOptions
  runAsUser int64
  runAsGroup int64
  runAsNonRoot boolean
  supplementalGroups []int64
  supplementalGroupsPolicy string
  fsGroup int64
  sysctls []Sysctl
  fsGroupChangePolicy string
  seccompProfile SeccompProfile
  appArmorProfile AppArmorProfile
  seLinuxChangePolicy string
Sysctl
  name string req
  value string req
Volume
  name string req
  hostPath HostPathVolumeSource
  emptyDir EmptyDirVolumeSource
  secret SecretVolumeSource
  configMap ConfigMapVolumeSource
  persistentVolumeClaim PersistentVolumeClaimVolumeSource
  downwardAPI DownwardAPIVolumeSource
  projected ProjectedVolumeSource
  nfs NFSVolumeSource
  csi CSIVolumeSource
  image ImageVolumeSource
  ephemeral object
  gcePersistentDisk object
  awsElasticBlockStore object
  gitRepo object
  iscsi object
  glusterfs object
  rbd object
  flexVolume object
  cinder object
  cephfs object
  flocker object
  fc object
  azureFile object
  vsphereVolume object
  quobyte object
  azureDisk object
  photonPersistentDisk object
  portworxVolume object
  scaleIO object
  storageos object
HostPathVolumeSource
  path string req
  type string
EmptyDirVolumeSource
  medium string
  sizeLimit Quantity
SecretVolumeSource
  secretName string
  items []KeyToPath
  defaultMode int32
  optional boolean
ConfigMapVolumeSource
  name string
  items []KeyToPath
  defaultMode int32
  optional boolean
KeyToPath
  key string req
  path string req
  mode int32
PersistentVolumeClaimVolumeSource
  claimName string req
  readOnly boolean
DownwardAPIVolumeSource
  items []DownwardAPIVolumeFile
  defaultMode int32
DownwardAPIVolumeFile
  path string req
  fieldRef ObjectFieldSelector
  resourceFieldRef ResourceFieldSelector
  mode int32
ProjectedVolumeSource
  sources []VolumeProjection
  defaultMode int32
VolumeProjection
  secret SecretProjection
  downwardAPI DownwardAPIProjection
  configMap ConfigMapProjection
  serviceAccountToken ServiceAccountTokenProjection
  clusterTrustBundle object
SecretProjection
  name string
  items []KeyToPath
  optional boolean
ConfigMapProjection
  name string
  items []KeyToPath
  optional boolean
DownwardAPIProjection
  items []DownwardAPIVolumeFile
ServiceAccountTokenProjection
  audience string
  expirationSeconds int64
  path string req
NFSVolumeSource
  server string req
  path string req
  readOnly boolean
CSIVolumeSource
  driver string req
  readOnly boolean
  fsType string
  volumeAttributes map[string]
  nodePublishSecretRef LocalObjectReference
ImageVolumeSource
  reference string
  pullPolicy string
LocalObjectReference
  name string
Affinity
  nodeAffinity NodeAffinity
  podAffinity PodAffinity
  podAntiAffinity PodAntiAffinity
NodeAffinity
  requiredDuringSchedulingIgnoredDuringExecution NodeSelector
  preferredDuringSchedulingIgnoredDuringExecution []PreferredSchedulingTerm
NodeSelector
  nodeSelectorTerms []NodeSelectorTerm req
NodeSelectorTerm
  matchExpressions []NodeSelectorRequirement
  matchFields []NodeSelectorRequirement
NodeSelectorRequirement
  key string req
  operator string req
  values []string
PreferredSchedulingTerm
  weight int32 req
  preference NodeSelectorTerm req
PodAffinity
  requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm
  preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm
PodAntiAffinity
  requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm
  preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm
PodAffinityTerm
  labelSelector meta.LabelSelector
  namespaces []string
  topologyKey string req
  namespaceSelector meta.LabelSelector
  matchLabelKeys []string
  mismatchLabelKeys []string
WeightedPodAffinityTerm
  weight int32 req
  podAffinityTerm PodAffinityTerm req
Toleration
  key string
  operator string
  value string
  effect string
  tolerationSeconds int64
HostAlias
  ip string req
  hostnames []string
PodDNSConfig
  nameservers []string
  searches []string
  options []PodDNSConfigOption
PodDNSConfigOption
  name string
  value string
PodReadinessGate
  conditionType string req
TopologySpreadConstraint
  maxSkew int32 req
  topologyKey string req
  whenUnsatisfiable string req
  labelSelector meta.LabelSelector
  minDomains int32
  nodeAffinityPolicy string
  nodeTaintsPolicy string
  matchLabelKeys []string
PodOS
  name string req
PodSchedulingGate
  name string req
PodResourceClaim
  name string req
  resourceClaimName string
  resourceClaimTemplateName string
PodStatus open
  observedGeneration int64
  phase string -- Pending, Running, Succeeded, Failed or Unknown.
  conditions []PodCondition k=type s=merge
  message string
  reason string
  nominatedNodeName string
  hostIP string
  hostIPs []HostIP k=ip s=merge
  podIP string
  podIPs []PodIP k=ip s=merge
  startTime Time
  initContainerStatuses []ContainerStatus
  containerStatuses []ContainerStatus
  qosClass string
  ephemeralContainerStatuses []ContainerStatus
  resize string
  resourceClaimStatuses []object k=name s=merge,retainKeys
PodCondition
  type string req
  status string req
  lastProbeTime Time
  lastTransitionTime Time
  reason string
  message string
HostIP
  ip string req
PodIP
  ip string req
ContainerStatus open
  name string req
  state ContainerState
  lastState ContainerState
  ready boolean req
  restartCount int32 req
  image string req
  imageID string req
  containerID string
  started boolean
  allocatedResources map[Quantity]
  resources ResourceRequirements
ContainerState
  waiting ContainerStateWaiting
  running ContainerStateRunning
  terminated ContainerStateTerminated
ContainerStateWaiting
  reason string
  message string
ContainerStateRunning
  startedAt Time
ContainerStateTerminated
  exitCode int32 req
  signal int32
  reason string
  message string
  startedAt Time
  finishedAt Time
  containerID string
"""
