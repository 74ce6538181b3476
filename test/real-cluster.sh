#!/usr/bin/env bash
# Runs lth against a real Kubernetes cluster: the one the current kubeconfig reaches (kind, minikube,
# a cloud cluster). It installs the cpu overlay into a namespace of its own with the image you give,
# submits a tiny campaign, and waits for it to succeed. It skips (exit 0, saying why) when no cluster
# is reachable or no image is given: CI machines without a cluster run it harmlessly.
#
#   LTH_IMAGE=registry.example.com/lth:0.1.0-cpu test/real-cluster.sh
#   # kind: docker build -f images/Dockerfile --target cpu -t lth:dev . && kind load docker-image lth:dev
#   #       LTH_IMAGE=lth:dev test/real-cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."

skip() { echo "real-cluster: skipped: $*"; exit 0; }

command -v kubectl >/dev/null || skip "kubectl is not installed"
if ! reason=$(kubectl version --request-timeout=5s 2>&1 >/dev/null); then
  skip "no cluster reachable through the current kubeconfig (${reason%%$'\n'*})"
fi
kubectl get --raw /version >/dev/null 2>&1 || skip "the current kubeconfig's cluster does not answer /version"
[ -n "${LTH_IMAGE:-}" ] || skip "LTH_IMAGE is not set (an lth image the cluster can pull)"

namespace=${LTH_NAMESPACE:-lth-e2e}
# kustomize takes only relative paths: the overlay lives under .lth (ignored by git).
work=.lth/real-cluster
rm -rf "$work" && mkdir -p "$work/overlay"
cat >"$work/overlay/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ${namespace}
resources:
  - ../../../k8s/overlays/cpu
images:
  - name: ghcr.io/lth-dev/lth
    newName: ${LTH_IMAGE%:*}
    newTag: ${LTH_IMAGE##*:}
EOF
echo "real-cluster: installing lth into namespace ${namespace} with ${LTH_IMAGE}"
kubectl apply -k "$work/overlay"
kubectl -n "$namespace" rollout status deploy/lth-controller --timeout=5m
for d in lth-data lth-pruning lth-finetune lth-evaluation; do
  kubectl -n "$namespace" rollout status "deploy/$d" --timeout=15m
done

cat >"$work/campaign.yaml" <<EOF
apiVersion: lth.dev/v1alpha1
kind: Campaign
metadata: { name: e2e-tiny }
spec:
  name: e2e-tiny
  models: [lenet-300-100]
  pretrainings: [{ name: none, kind: none }]
  tasks: [mnist]
  seeds: [0]
  imp: { rounds: 1 }
  finetune: { epochs: 1, maxSteps: 20, batchSize: 64, maxExamples: 1280 }
  evaluation: { maxExamples: 500 }
EOF
kubectl -n "$namespace" delete campaign e2e-tiny --ignore-not-found --wait
kubectl -n "$namespace" apply -f "$work/campaign.yaml"
echo "real-cluster: waiting for campaign e2e-tiny"
if ! kubectl -n "$namespace" wait campaign/e2e-tiny --for=jsonpath='{.status.phase}'=Succeeded --timeout=30m; then
  kubectl -n "$namespace" describe campaign e2e-tiny
  kubectl -n "$namespace" get jobs,pods
  kubectl -n "$namespace" logs deploy/lth-controller --tail=100
  exit 1
fi
kubectl -n "$namespace" get campaign e2e-tiny
echo "real-cluster: passed (delete the namespace with: kubectl delete namespace ${namespace})"
