"""Field tables for the protobuf messages kubectl's ``create <kind>`` generators send.

Transcribed from k8s.io/api ``generated.proto`` (core/v1, apps/v1, batch/v1, rbac/v1, policy/v1,
scheduling/v1, authentication/v1) and apimachinery meta/v1. One line per message::

    Name  <number>:<jsonName>[:<type>]  ...

Types: ``string`` (default), ``int32``, ``int64``, ``bool``, ``double``, ``bytes`` (base64 in JSON),
``Time``, ``MicroTime``, ``IntOrString``, ``Quantity``, ``map`` (map<string,string>), ``map<bytes>``,
``map<Quantity>``, a message name, or ``[T]`` for repeated. A trailing ``*`` marks a Go pointer field:
its zero value is kept (``replicas: 0``); other zero scalars are dropped, as JSON's ``omitempty`` does.
"""

from __future__ import annotations

TABLES = """
ObjectMeta 1:name 2:generateName 3:namespace 4:selfLink 5:uid 6:resourceVersion 7:generation:int64 \
  8:creationTimestamp:Time 9:deletionTimestamp:Time 10:deletionGracePeriodSeconds:int64* 11:labels:map \
  12:annotations:map 13:ownerReferences:[OwnerReference] 14:finalizers:[string]
OwnerReference 1:kind 3:name 4:uid 5:apiVersion 6:controller:bool* 7:blockOwnerDeletion:bool*
LabelSelector 1:matchLabels:map 2:matchExpressions:[LabelSelectorRequirement]
LabelSelectorRequirement 1:key 2:operator 3:values:[string]
ObjectReference 1:kind 2:namespace 3:name 4:uid 5:apiVersion 6:resourceVersion 7:fieldPath
LocalObjectReference 1:name

Namespace 1:metadata:ObjectMeta 2:spec:NamespaceSpec 3:status:NamespaceStatus
NamespaceSpec 1:finalizers:[string]
NamespaceStatus 1:phase
ConfigMap 1:metadata:ObjectMeta 2:data:map 3:binaryData:map<bytes> 4:immutable:bool*
Secret 1:metadata:ObjectMeta 2:data:map<bytes> 3:type 4:stringData:map 5:immutable:bool*
ServiceAccount 1:metadata:ObjectMeta 2:secrets:[ObjectReference] 3:imagePullSecrets:[LocalObjectReference] \
  4:automountServiceAccountToken:bool*
Service 1:metadata:ObjectMeta 2:spec:ServiceSpec 3:status:ServiceStatus
ServiceSpec 1:ports:[ServicePort] 2:selector:map 3:clusterIP 4:type 5:externalIPs:[string] \
  7:sessionAffinity 8:loadBalancerIP 9:loadBalancerSourceRanges:[string] 10:externalName \
  11:externalTrafficPolicy 12:healthCheckNodePort:int32 13:publishNotReadyAddresses:bool \
  14:sessionAffinityConfig:SessionAffinityConfig 17:ipFamilyPolicy 18:clusterIPs:[string] \
  19:ipFamilies:[string] 20:allocateLoadBalancerNodePorts:bool* 21:loadBalancerClass \
  22:internalTrafficPolicy 23:trafficDistribution
ServicePort 1:name 2:protocol 3:port:int32 4:targetPort:IntOrString 5:nodePort:int32 6:appProtocol
SessionAffinityConfig 1:clientIP:ClientIPConfig
ClientIPConfig 1:timeoutSeconds:int32*
ServiceStatus
ResourceQuota 1:metadata:ObjectMeta 2:spec:ResourceQuotaSpec 3:status:ResourceQuotaStatus
ResourceQuotaSpec 1:hard:map<Quantity> 2:scopes:[string] 3:scopeSelector:ScopeSelector
ScopeSelector 1:matchExpressions:[ScopedResourceSelectorRequirement]
ScopedResourceSelectorRequirement 1:scopeName 2:operator 3:values:[string]
ResourceQuotaStatus 1:hard:map<Quantity> 2:used:map<Quantity>

PodTemplateSpec 1:metadata:ObjectMeta 2:spec:PodSpec
PodSpec 1:volumes:[Volume] 2:containers:[Container] 3:restartPolicy 4:terminationGracePeriodSeconds:int64* \
  5:activeDeadlineSeconds:int64* 6:dnsPolicy 7:nodeSelector:map 8:serviceAccountName 9:serviceAccount \
  10:nodeName 11:hostNetwork:bool 12:hostPID:bool 13:hostIPC:bool 15:imagePullSecrets:[LocalObjectReference] \
  16:hostname 17:subdomain 19:schedulerName 20:initContainers:[Container] \
  21:automountServiceAccountToken:bool* 22:tolerations:[Toleration] 24:priorityClassName 25:priority:int32* \
  27:shareProcessNamespace:bool* 29:runtimeClassName 30:enableServiceLinks:bool* 31:preemptionPolicy \
  35:setHostnameAsFQDN:bool* 37:hostUsers:bool*
Container 1:name 2:image 3:command:[string] 4:args:[string] 5:workingDir 6:ports:[ContainerPort] \
  7:env:[EnvVar] 8:resources:ResourceRequirements 9:volumeMounts:[VolumeMount] 13:terminationMessagePath \
  14:imagePullPolicy 16:stdin:bool 17:stdinOnce:bool 18:tty:bool 20:terminationMessagePolicy \
  24:restartPolicy
ContainerPort 1:name 2:hostPort:int32 3:containerPort:int32 4:protocol 5:hostIP
EnvVar 1:name 2:value
ResourceRequirements 1:limits:map<Quantity> 2:requests:map<Quantity>
VolumeMount 1:name 2:readOnly:bool 3:mountPath 4:subPath 5:mountPropagation 6:subPathExpr
Volume 1:name
Toleration 1:key 2:operator 3:value 4:effect 5:tolerationSeconds:int64*

Deployment 1:metadata:ObjectMeta 2:spec:DeploymentSpec 3:status:DeploymentStatus
DeploymentSpec 1:replicas:int32* 2:selector:LabelSelector 3:template:PodTemplateSpec \
  4:strategy:DeploymentStrategy 5:minReadySeconds:int32 6:revisionHistoryLimit:int32* 7:paused:bool \
  9:progressDeadlineSeconds:int32*
DeploymentStrategy 1:type 2:rollingUpdate:RollingUpdateDeployment
RollingUpdateDeployment 1:maxUnavailable:IntOrString 2:maxSurge:IntOrString
DeploymentStatus

Job 1:metadata:ObjectMeta 2:spec:JobSpec 3:status:JobStatus
JobSpec 1:parallelism:int32* 2:completions:int32* 3:activeDeadlineSeconds:int64* 4:selector:LabelSelector \
  5:manualSelector:bool* 6:template:PodTemplateSpec 7:backoffLimit:int32* 8:ttlSecondsAfterFinished:int32* \
  9:completionMode 10:suspend:bool* 12:backoffLimitPerIndex:int32* 13:maxFailedIndexes:int32* \
  14:podReplacementPolicy 15:managedBy
JobStatus
CronJob 1:metadata:ObjectMeta 2:spec:CronJobSpec 3:status:CronJobStatus
CronJobSpec 1:schedule 2:startingDeadlineSeconds:int64* 3:concurrencyPolicy 4:suspend:bool* \
  5:jobTemplate:JobTemplateSpec 6:successfulJobsHistoryLimit:int32* 7:failedJobsHistoryLimit:int32* 8:timeZone
JobTemplateSpec 1:metadata:ObjectMeta 2:spec:JobSpec
CronJobStatus

Role 1:metadata:ObjectMeta 2:rules:[PolicyRule]
ClusterRole 1:metadata:ObjectMeta 2:rules:[PolicyRule]
PolicyRule 1:verbs:[string] 2:apiGroups:[string] 3:resources:[string] 4:resourceNames:[string] \
  5:nonResourceURLs:[string]
RoleBinding 1:metadata:ObjectMeta 2:subjects:[Subject] 3:roleRef:RoleRef
ClusterRoleBinding 1:metadata:ObjectMeta 2:subjects:[Subject] 3:roleRef:RoleRef
Subject 1:kind 2:apiGroup 3:name 4:namespace
RoleRef 1:apiGroup 2:kind 3:name

PodDisruptionBudget 1:metadata:ObjectMeta 2:spec:PodDisruptionBudgetSpec 3:status:PodDisruptionBudgetStatus
PodDisruptionBudgetSpec 1:minAvailable:IntOrString 2:selector:LabelSelector 3:maxUnavailable:IntOrString \
  4:unhealthyPodEvictionPolicy
PodDisruptionBudgetStatus
PriorityClass 1:metadata:ObjectMeta 2:value:int32 3:globalDefault:bool 4:description 5:preemptionPolicy
TokenRequest 1:metadata:ObjectMeta 2:spec:TokenRequestSpec 3:status:TokenRequestStatus
TokenRequestSpec 1:audiences:[string] 3:boundObjectRef:BoundObjectReference 4:expirationSeconds:int64*
BoundObjectReference 1:kind 2:apiVersion 3:name 4:uid
TokenRequestStatus
"""

# (apiVersion, kind) -> top-level message; everything kubectl 1.32's typed generators send.
KINDS = {
    ("v1", "Namespace"): "Namespace",
    ("v1", "ConfigMap"): "ConfigMap",
    ("v1", "Secret"): "Secret",
    ("v1", "ServiceAccount"): "ServiceAccount",
    ("v1", "Service"): "Service",
    ("v1", "ResourceQuota"): "ResourceQuota",
    ("apps/v1", "Deployment"): "Deployment",
    ("batch/v1", "Job"): "Job",
    ("batch/v1", "CronJob"): "CronJob",
    ("rbac.authorization.k8s.io/v1", "Role"): "Role",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "ClusterRole",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "RoleBinding",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "ClusterRoleBinding",
    ("policy/v1", "PodDisruptionBudget"): "PodDisruptionBudget",
    ("scheduling.k8s.io/v1", "PriorityClass"): "PriorityClass",
    ("authentication.k8s.io/v1", "TokenRequest"): "TokenRequest",
}
