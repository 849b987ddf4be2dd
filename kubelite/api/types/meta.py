"""apimachinery meta/v1 types and the autoscaling/v1 Scale."""

TEXT = """
@io.k8s.apimachinery.pkg.apis.meta.v1
ObjectMeta -- Standard object's metadata.
  name string -- Name must be unique within a namespace.
  generateName string -- Optional prefix the server uses to generate a unique name.
  namespace string -- Namespace defines the space within which each name must be unique.
  selfLink string
  uid string -- UID is the unique in time and space value for this object.
  resourceVersion string -- An opaque value that represents the internal version of this object.
  generation int64 -- A sequence number representing a specific generation of the desired state.
  creationTimestamp Time -- Timestamp representing the server time when this object was created.
  deletionTimestamp Time -- RFC 3339 date and time at which this resource will be deleted.
  deletionGracePeriodSeconds int64
  labels map[string] -- Map of string keys and values that can be used to organize objects.
  annotations map[string] -- Unstructured key value map stored with a resource.
  ownerReferences []OwnerReference k=uid s=merge lk=uid -- Objects depended on by this object.
  finalizers []string s=merge l=set -- Must be empty before the object is deleted from the registry.
  managedFields []ManagedFieldsEntry -- Maps workflow-id and version to the set of managed fields.
OwnerReference
  apiVersion string req
  kind string req
  name string req
  uid string req
  controller boolean
  blockOwnerDeletion boolean
ManagedFieldsEntry
  manager string
  operation string
  apiVersion string
  time Time
  fieldsType string
  fieldsV1 object
  subresource string
LabelSelector -- A label query over a set of resources.
  matchLabels map[string]
  matchExpressions []LabelSelectorRequirement
LabelSelectorRequirement
  key string req
  operator string req
  values []string
ListMeta
  selfLink string
  resourceVersion string
  continue string
  remainingItemCount int64
Condition
  type string req
  status string req
  observedGeneration int64
  lastTransitionTime Time req
  reason string req
  message string req
Status gvk=/v1/Status
  apiVersion string
  kind string
  metadata ListMeta
  status string
  message string
  reason string
  details StatusDetails
  code int32
StatusDetails
  name string
  group string
  kind string
  uid string
  causes []StatusCause
  retryAfterSeconds int32
StatusCause
  reason string
  message string
  field string

@io.k8s.api.autoscaling.v1
Scale gvk=autoscaling/v1/Scale
  apiVersion string
  kind string
  metadata meta.ObjectMeta
  spec ScaleSpec
  status ScaleStatus
ScaleSpec
  replicas int32 -- desired number of instances for the scaled object.
ScaleStatus
  replicas int32 req
  selector string
"""
