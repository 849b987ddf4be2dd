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
  terminationGracePeriodSeconds int64 -- Optional duration in seconds the pod needs to terminate gracefully.
  activeDeadlineSeconds int64 -- Optional duration in seconds the pod may be active on the node relative to
      StartTime before the system will actively try to mark it failed and kill associated containers.
  dnsPolicy string -- Set DNS policy for the pod. Defaults to "ClusterFirst".
  nodeSelector map[string] -- NodeSelector is a selector which must be true for the pod to fit on a node.
  serviceAccountName string -- ServiceAccountName is the name of the ServiceAccount to use to run this pod.
  serviceAccount string
  automountServiceAccountToken boolean
  nodeName string -- Request to schedule this pod onto a specific node.
  hostNetwork boolean -- Host networking requested for this pod. Use the host's network namespace.
  hostPID boolean
  hostIPC boolean
  shareProcessNamespace boolean
  securityContext PodSecurityContext -- SecurityContext holds pod-level security attributes and common
      container settings.
  imagePullSecrets []LocalObjectReference k=name s=merge -- ImagePullSecrets is an optional list of
      references to secrets in the same namespace to use for pulling any of the images used by this
      PodSpec.
  hostname string -- Specifies the hostname of the Pod.
  subdomain string
  affinity Affinity -- If specified, the pod's scheduling constraints
  schedulerName string -- If specified, the pod will be dispatched by specified scheduler.
  tolerations []Toleration -- If specified, the pod's tolerations.
  hostAliases []HostAlias k=ip s=merge
  priorityClassName string -- If specified, indicates the pod's priority.
  priority int32
  dnsConfig PodDNSConfig
  readinessGates []PodReadinessGate -- If specified, all readiness gates will be evaluated for pod
      readiness.
  runtimeClassName string
  enableServiceLinks boolean -- EnableServiceLinks indicates whether information about services should be
      injected into pod's environment variables.
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
  workingDir string -- Container's working directory.
  ports []ContainerPort k=containerPort s=merge lk=containerPort,protocol -- Ports to expose.
  envFrom []EnvFromSource -- List of sources to populate environment variables in the container.
  env []EnvVar k=name s=merge -- Environment variables to set in the container.
  resources ResourceRequirements -- Compute resources required by this container.
  resizePolicy []ContainerResizePolicy
  restartPolicy string
  volumeMounts []VolumeMount k=mountPath s=merge -- Pod volumes to mount into the container's filesystem.
  volumeDevices []VolumeDevice k=devicePath s=merge
  livenessProbe Probe -- Periodic probe of container liveness. Container will be restarted if the probe
      fails.
  readinessProbe Probe -- Periodic probe of container service readiness. Container will be removed from
      service endpoints if the probe fails.
  startupProbe Probe -- StartupProbe indicates that the Pod has successfully initialized.
  lifecycle Lifecycle -- Actions that the management system should take in response to container lifecycle
      events.
  terminationMessagePath string -- Optional: Path at which the file to which the container's termination
      message will be written is mounted into the container's filesystem.
  terminationMessagePolicy string -- Indicate how the termination message should be populated. File or
      FallbackToLogsOnError.
  imagePullPolicy string -- Always, Never, IfNotPresent.
  securityContext SecurityContext -- SecurityContext defines the security options the container should be
      run with.
  stdin boolean -- Whether this container should allocate a buffer for stdin in the container runtime.
  stdinOnce boolean
  tty boolean -- Whether this container should allocate a TTY for itself, also requires 'stdin' to be true.
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
  name string -- If specified, this must be an IANA_SVC_NAME and unique within the pod.
  hostPort int32 -- Number of port to expose on the host.
  containerPort int32 req -- Number of port to expose on the pod's IP address. This must be a valid port
      number, 0 < x < 65536.
  protocol string -- Protocol for port. Must be UDP, TCP, or SCTP. Defaults to "TCP".
  hostIP string
EnvVar
  name string req -- Name of the environment variable. Must be a C_IDENTIFIER.
  value string -- Variable references $(VAR_NAME) are expanded using the previously defined environment
      variables in the container and any service environment variables.
  valueFrom EnvVarSource -- Source for the environment variable's value. Cannot be used if value is not
      empty.
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
  name string req -- This must match the Name of a Volume.
  readOnly boolean -- Mounted read-only if true, read-write otherwise (false or unspecified).
  recursiveReadOnly string
  mountPath string req -- Path within the container at which the volume should be mounted. Must not contain
      ':'.
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
  initialDelaySeconds int32 -- Number of seconds after the container has started before liveness probes are
      initiated.
  timeoutSeconds int32 -- Number of seconds after which the probe times out. Defaults to 1 second.
  periodSeconds int32 -- How often (in seconds) to perform the probe. Default to 10 seconds.
  successThreshold int32
  failureThreshold int32 -- Minimum consecutive failures for the probe to be considered failed after having
      succeeded. Defaults to 3.
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
  name string req -- name of the volume. Must be a DNS_LABEL and unique within the pod.
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
