"""The fictional company behind the sample bill: Helio Labs, a mid-size AI product company.

Everything here is static description (org, accounts, applications, resources, prices);
billing.py turns it into daily FOCUS rows. Prices are public list prices of late 2025
rounded to at most 6 decimals, so that cost = quantity x price is exact in integers.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace

COMPANY = "Helio Labs"

# team -> (cost_center, business_unit, owner)
ORG = {
    "assistant": ("CC-1100", "Product", "maria.lopez@heliolabs.example"),
    "search": ("CC-1200", "Product", "tom.becker@heliolabs.example"),
    "docai": ("CC-1300", "Product", "aisha.khan@heliolabs.example"),
    "foundation-models": ("CC-2100", "Research", "li.wei@heliolabs.example"),
    "applied-ml": ("CC-2200", "Research", "jonas.berg@heliolabs.example"),
    "evals": ("CC-2300", "Research", "priya.nair@heliolabs.example"),
    "ml-platform": ("CC-3100", "Platform", "sam.okafor@heliolabs.example"),
    "data-eng": ("CC-3200", "Platform", "elena.rossi@heliolabs.example"),
    "sre": ("CC-3300", "Platform", "dan.murphy@heliolabs.example"),
    "corp-it": ("CC-4100", "Corporate", "kate.sullivan@heliolabs.example"),
}
# A team name found in tags but absent from the org map (a re-org nobody told finance about).
UNKNOWN_TEAM = "growth-lab"

# provider key -> FOCUS provider names, billing account, currency, folder name
PROVIDERS = {
    "aws": dict(name="AWS", account=("210987654321", "Helio Labs AWS Org"), account_type="Billing Account",
                sub_type="Linked Account", currency="USD"),
    "azure": dict(name="Microsoft", account=("8-3f2a91c4-77d0-4b8e-9d1a-5c0e2b7f6a10", "Helio Labs EA"),
                  account_type="Billing Account", sub_type="Subscription", currency="USD"),
    "azure-eu": dict(name="Microsoft", account=("8-b1c7e052-1f4d-4a9e-8c33-0d6f9a2e4b71", "Helio Labs GmbH MCA"),
                     account_type="Billing Profile", sub_type="Subscription", currency="EUR"),
    "gcp": dict(name="Google Cloud", account=("01A7F3-5C2D9E-B04F61", "Helio Labs GCP billing"),
                account_type="Billing Account", sub_type="Project", currency="USD"),
    "lexica": dict(name="Lexica AI", account=("lx-org-4471", "Helio Labs"),
                   account_type="Organization", sub_type="Workspace", currency="USD"),
}
# The output folder each provider key is written to (the EU Azure account is a second
# Microsoft billing account: same folder, its own InvoiceId and currency).
FOLDER = {"aws": "aws", "azure": "azure", "azure-eu": "azure", "gcp": "gcp", "lexica": "lexica"}

# sub-account key -> (provider key, id, name)
SUB_ACCOUNTS = {
    "aws-prod": ("aws", "334455667788", "helio-prod-ml"),
    "aws-research": ("aws", "445566778899", "helio-research"),
    "aws-data": ("aws", "556677889900", "helio-data"),
    "aws-sandbox": ("aws", "667788990011", "helio-sandbox"),
    "aws-shared": ("aws", "778899001122", "helio-shared-services"),
    "az-prod": ("azure", "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "helio-assistant-prod"),
    "az-ml": ("azure", "7a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "helio-ml-research"),
    "az-sandbox": ("azure", "8b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", "helio-sandbox"),
    "az-eu": ("azure-eu", "9c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f", "helio-eu-docai"),
    "gcp-research": ("gcp", "helio-research-231", "helio-research"),
    "gcp-search": ("gcp", "helio-search-prod", "helio-search-prod"),
    "gcp-data": ("gcp", "helio-data-lake", "helio-data-lake"),
    "lx-assistant": ("lexica", "ws-assistant-prod", "assistant-prod"),
    "lx-docai": ("lexica", "ws-docai-batch", "docai-batch"),
    "lx-search": ("lexica", "ws-search", "search-embeddings"),
    "lx-research": ("lexica", "ws-research", "research-evals"),
}

# Negotiated discount on Standard prices (ContractedUnitPrice = list x (1 - d)).
CONTRACT_DISCOUNT = {"aws": 0.06, "azure": 0.05, "azure-eu": 0.0, "gcp": 0.04, "lexica": 0.10}

# Applications that carry business drivers. Requests per day at the window start.
APPLICATIONS = {
    "assistant": dict(team="assistant", base_requests=180_000, users_per_request=0.055),
    "semantic-search": dict(team="search", base_requests=260_000, users_per_request=0.09),
    "doc-intelligence": dict(team="docai", base_requests=0, base_documents=120_000),
}

# Lexica AI price list: model -> {meter: USD per 1M tokens}
LEXICA_PRICES = {
    "atlas-1": {"Input Tokens": 3.0, "Output Tokens": 15.0},
    "atlas-2": {"Input Tokens": 2.5, "Output Tokens": 12.0},
    "swift-1": {"Input Tokens": 0.25, "Output Tokens": 1.25},
    "embed-3": {"Embedding Tokens": 0.10},
}


@dataclass(frozen=True)
class Resource:
    """One billed resource and the one SKU it is metered on.

    profile: how its daily quantity moves (see billing.daily_quantity):
      always  - runs every day: nodes x 24 hours (or `per_day` units)
      serve   - inference fleet sized from its application's requests
      train   - training campaigns: on for days, off for days
      storage - GB that grow; billed per GB-month, a 1/days-in-month slice per day
      usage   - a metered flow (GB, DPU-hours, OCU-hours) following growth and weekdays
      monthly - a fixed monthly fee charged on the first of the month
    """

    rid: str
    name: str
    sub: str
    service: str
    category: str
    subcategory: str
    rtype: str
    sku: str
    meter: str
    region: str
    unit: str
    price: float
    team: str
    env: str
    workload: str
    profile: str
    app: str = ""
    model: str = ""
    nodes: int = 1
    gpus: int = 0
    per_day: float = 0.0
    pricing: str = "Standard"  # Standard | Dynamic | a commitment id
    spot: float = 0.0  # Dynamic price as a share of list
    start: float = 0.0  # share of the window before the resource exists
    stop: float = 1.01  # share of the window after which it is gone
    tagging: str = "ok"  # ok | none | miskey | unknown | partial
    no_workload_tag: bool = False
    extra_tags: dict = field(default_factory=dict)
    share: float = 0.0  # serve: share of the application's requests it carries
    capacity: float = 0.0  # serve: requests per node-day
    cunit: str = ""  # ConsumedUnit when it differs from PricingUnit
    node: int = -1  # index within its cluster once expanded (serve fleets grow node by node)

    @property
    def provider(self) -> str:
        return SUB_ACCOUNTS[self.sub][0]


def rid_for(sub: str, kind: str, name: str, region: str = "") -> str:
    """A provider-shaped resource id (stable: derived from the name, never random)."""
    provider, acct, _ = SUB_ACCOUNTS[sub]
    h = f"{zlib.crc32(name.encode()):08x}{zlib.crc32(name[::-1].encode()):08x}"
    if provider == "aws":
        if kind in ("i", "vol", "snap"):
            return f"{kind}-0{h[:16]}"
        return f"arn:aws:{kind.removeprefix('arn:')}:{region}:{acct}:{name}"
    if provider.startswith("azure"):
        return f"/subscriptions/{acct}/resourceGroups/rg-{sub}/providers/{kind}/{name}"
    if provider == "gcp":
        svc, coll = kind.split("/", 1)
        return f"//{svc}/projects/{acct}/{coll}/{name}"
    return f"lx://{acct}/{name}"


def _r(kind, name, sub, service, category, subcategory, rtype, sku, meter, region, unit, price,
       team, env, workload, profile, **kw) -> Resource:
    rid = rid_for(sub, kind, name, region) if kind else ""
    return Resource(rid, name, sub, service, category, subcategory, rtype, sku, meter, region,
                    unit, price, team, env, workload, profile, **kw)


def _ec2(name, sub, itype, price, team, env, workload, profile, region="us-east-1", **kw):
    return _r("i", name, sub, "Amazon Elastic Compute Cloud", "Compute", "Virtual Machines",
              "Instance", f"{itype}.{region}", f"BoxUsage:{itype}", region, "Hours", price,
              team, env, workload, profile, **kw)


def _azvm(name, sub, size, price, team, env, workload, profile, region="eastus", **kw):
    return _r("Microsoft.Compute/virtualMachines", name, sub, "Virtual Machines", "Compute",
              "Virtual Machines", "Virtual machine", f"DZH318Z0{zlib.crc32(size.encode()) % 97:02d}/{size}",
              f"{size.replace('_', ' ')}", region, "1 Hour", price, team, env, workload, profile, **kw)


def _gce(name, sub, mtype, price, team, env, workload, profile, region="us-central1", **kw):
    return _r("compute.googleapis.com/instances", name, sub, "Compute Engine", "Compute",
              "Virtual Machines", "Instance", f"GCE-{mtype}-{region}", f"{mtype} running in {region}",
              region, "Hour", price, team, env, workload, profile, **kw)


def _lx(name, sub, team, env, workload, app, model, meter):
    return _r("api", name, sub, "Lexica AI API", "AI and Machine Learning", "Generative AI",
              "API Workspace", f"lx-{model}-{meter.split()[0].lower()}", meter, "global",
              "1M Tokens", LEXICA_PRICES[model][meter], team, env, workload, "tokens",
              app=app, model=model, cunit="Tokens")


CKPT = {"checkpointing": "enabled"}


def catalogue() -> list[Resource]:
    """Every resource of the company, clusters listed once (see expand_nodes)."""
    R = []
    add = R.append
    # -- training: spot H100 cluster (fault tolerant), on-demand A100 cluster (also fault
    #    tolerant: the planted spot opportunity), a legacy cluster retired early, GCP pools.
    add(_ec2("llm-train-cluster-a", "aws-research", "p5.48xlarge", 55.04, "foundation-models", "prod",
             "training", "train", nodes=4, gpus=8, pricing="Dynamic", spot=0.42, model="helio-base-2",
             extra_tags=CKPT))
    add(_ec2("llm-train-cluster-b", "aws-research", "p4d.24xlarge", 21.9576, "foundation-models", "prod",
             "training", "train", nodes=4, gpus=8, model="helio-base-2", extra_tags=CKPT))
    add(_ec2("llm-train-legacy", "aws-research", "p4d.24xlarge", 21.9576, "foundation-models", "prod",
             "training", "train", nodes=2, gpus=8, stop=0.22, model="helio-base-1"))
    add(_gce("pretrain-a3-pool", "gcp-research", "a3-highgpu-8g", 88.2494, "foundation-models", "prod",
             "training", "train", nodes=3, gpus=8, start=0.55, model="helio-base-3", tagging="miskey"))
    add(_gce("pretrain-a2-pool", "gcp-research", "a2-highgpu-8g", 29.3873, "foundation-models", "prod",
             "training", "always", nodes=4, gpus=8, pricing="gcp-cud-a2", model="helio-base-2",
             no_workload_tag=True))
    # -- fine-tuning
    add(_r("arn:sagemaker", "ft-assistant-sft", "aws-prod", "Amazon SageMaker", "AI and Machine Learning",
           "Machine Learning", "Training job", "ml.p4d.24xlarge-Training", "Training:ml.p4d.24xlarge",
           "us-east-1", "Hours", 37.688, "applied-ml", "prod", "fine-tuning", "train", nodes=1, gpus=8,
           model="helio-chat-2"))
    add(_azvm("aml-finetune-a100", "az-ml", "Standard_ND96amsr_A100_v4", 32.77, "applied-ml", "dev",
              "fine-tuning", "train", nodes=2, gpus=8, region="westus3", no_workload_tag=True))
    add(_azvm("ft-llama-a100-sweep", "az-ml", "Standard_ND96amsr_A100_v4", 32.77, "applied-ml", "dev",
              "fine-tuning", "always", nodes=1, gpus=8, region="westus3", start=0.6))
    # -- batch inference
    add(_ec2("docai-batch-g5-fleet", "aws-prod", "g5.12xlarge", 5.672, "docai", "prod", "batch-inference",
             "serve", app="doc-intelligence", nodes=8, gpus=4, pricing="Dynamic", spot=0.38, share=1.0,
             capacity=30_000, model="helio-ocr-1"))
    add(_azvm("docai-batch-eu", "az-eu", "Standard_NC24ads_A100_v4", 3.43, "docai", "prod", "batch-inference",
              "always", nodes=1, gpus=1, region="westeurope", app="doc-intelligence", model="helio-ocr-1"))
    add(_lx("docai-batch-extractor", "lx-docai", "docai", "prod", "batch-inference", "doc-intelligence",
            "swift-1", "Input Tokens"))
    add(_lx("docai-batch-extractor", "lx-docai", "docai", "prod", "batch-inference", "doc-intelligence",
            "swift-1", "Output Tokens"))
    # -- realtime inference
    add(_ec2("chat-endpoint-prod", "aws-prod", "p5.48xlarge", 55.04, "assistant", "prod",
             "realtime-inference", "serve", app="assistant", nodes=6, gpus=8, pricing="aws-ri-p5",
             share=0.2, capacity=25_000, model="helio-chat-2", no_workload_tag=True))
    add(_ec2("chat-endpoint-staging", "aws-prod", "g6e.2xlarge", 2.242, "assistant", "staging",
             "realtime-inference", "always", nodes=2, gpus=1, pricing="aws-sp-compute", app="assistant",
             model="helio-chat-2"))
    add(_azvm("assistant-serving-eastus", "az-prod", "Standard_ND96isr_H100_v5", 98.32, "assistant", "prod",
              "realtime-inference", "serve", app="assistant", nodes=6, gpus=8, pricing="az-ri-h100",
              share=0.2, capacity=25_000, model="helio-chat-2"))
    add(_r("arn:sagemaker", "rerank-endpoint-prod", "aws-prod", "Amazon SageMaker", "AI and Machine Learning",
           "Machine Learning", "Endpoint", "ml.g5.2xlarge-Hosting", "Hosting:ml.g5.2xlarge", "us-east-1",
           "Hours", 1.515, "search", "prod", "realtime-inference", "serve", app="semantic-search", nodes=6,
           gpus=1, share=1.0, capacity=110_000, model="helio-rerank-1", tagging="miskey"))
    add(_gce("search-query-serving", "gcp-search", "g2-standard-8", 0.8536, "search", "prod",
             "realtime-inference", "serve", app="semantic-search", nodes=8, gpus=1, share=1.0,
             capacity=70_000, model="helio-embed-q"))
    add(_lx("assistant-chat-api", "lx-assistant", "assistant", "prod", "realtime-inference", "assistant",
            "atlas-1", "Input Tokens"))
    add(_lx("assistant-chat-api", "lx-assistant", "assistant", "prod", "realtime-inference", "assistant",
            "atlas-1", "Output Tokens"))
    add(_lx("assistant-chat-api", "lx-assistant", "assistant", "prod", "realtime-inference", "assistant",
            "atlas-2", "Input Tokens"))
    add(_lx("assistant-chat-api", "lx-assistant", "assistant", "prod", "realtime-inference", "assistant",
            "atlas-2", "Output Tokens"))
    # -- embeddings
    add(_lx("search-embed-api", "lx-search", "search", "prod", "embeddings", "semantic-search",
            "embed-3", "Embedding Tokens"))
    add(_gce("embed-worker-l4", "gcp-search", "g2-standard-4", 0.7069, "search", "prod", "embeddings",
             "always", nodes=2, gpus=1, pricing="Dynamic", spot=0.4, app="semantic-search",
             model="helio-embed-d", tagging="unknown"))
    # -- retrieval
    add(_r("arn:aoss", "rag-vector-store", "aws-prod", "Amazon OpenSearch Service", "Databases",
           "Other (Databases)", "Collection", "OCU-Hours-Search", "IndexingOCU", "us-east-1", "Hours",
           0.24, "assistant", "prod", "retrieval", "usage", per_day=480, app="assistant"))
    add(_r("aiplatform.googleapis.com/indexEndpoints", "vertex-vector-index-prod", "gcp-search",
           "Vertex AI Vector Search", "AI and Machine Learning", "Other (AI and Machine Learning)",
           "Index endpoint", "VVS-e2-standard-16", "Vector Search serving node", "us-central1", "Hour",
           1.064, "search", "prod", "retrieval", "usage", per_day=72, app="semantic-search",
           no_workload_tag=True))
    add(_r("Microsoft.Search/searchServices", "assistant-ai-search", "az-prod", "Azure AI Search",
           "AI and Machine Learning", "Other (AI and Machine Learning)", "Search service", "AAS-S2",
           "Standard S2 Unit", "eastus", "1 Hour", 1.344, "assistant", "prod", "retrieval", "always",
           nodes=3, app="assistant"))
    # -- evaluation
    add(_gce("eval-a100-runner-2", "gcp-research", "a2-highgpu-1g", 3.6734, "evals", "dev", "evaluation",
             "always", nodes=1, gpus=1, start=0.3))
    add(_ec2("eval-harness-cpu", "aws-research", "c7i.4xlarge", 0.714, "evals", "dev", "evaluation",
             "always", nodes=2, pricing="aws-sp-compute"))
    add(_lx("eval-judge-api", "lx-research", "evals", "dev", "evaluation", "", "atlas-2", "Input Tokens"))
    add(_lx("eval-judge-api", "lx-research", "evals", "dev", "evaluation", "", "atlas-2", "Output Tokens"))
    # -- experimentation (notebooks, sandboxes)
    add(_r("arn:sagemaker", "sandbox-jlee-notebook", "aws-sandbox", "Amazon SageMaker",
           "AI and Machine Learning", "Machine Learning", "Notebook instance", "ml.g5.2xlarge-Notebook",
           "Notebook:ml.g5.2xlarge", "us-east-1", "Hours", 1.515, "applied-ml", "sandbox",
           "experimentation", "always", gpus=1, tagging="partial"))
    add(_ec2("sandbox-growth-demo", "aws-sandbox", "g5.xlarge", 1.006, "growth-lab", "sandbox",
             "experimentation", "always", gpus=1, tagging="unknown"))
    add(_azvm("sandbox-search-poc-vm", "az-sandbox", "Standard_NC6s_v3", 3.06, "search", "sandbox",
              "experimentation", "always", gpus=1, tagging="none"))
    add(_r("Microsoft.MachineLearningServices/workspaces/computes", "aml-notebook-applied-ml", "az-ml",
           "Azure Machine Learning", "AI and Machine Learning", "Machine Learning", "Compute instance",
           "AML-NC24ads-A100", "NC24ads A100 v4 compute instance", "westus3", "1 Hour", 3.673, "applied-ml",
           "dev", "experimentation", "workhours", nodes=3, gpus=1))
    add(_r("notebooks.googleapis.com/instances", "vertex-workbench-research-01", "gcp-research",
           "Vertex AI Workbench", "AI and Machine Learning", "Machine Learning", "Instance",
           "VWB-n1-standard-8-T4", "Workbench n1-standard-8 with T4", "us-central1", "Hour", 0.73,
           "foundation-models", "dev", "experimentation", "workhours", nodes=2, gpus=1, tagging="none"))
    # -- data preparation
    add(_r("arn:s3", "helio-training-data-lake", "aws-data", "Amazon Simple Storage Service", "Storage",
           "Object Storage", "Bucket", "TimedStorage-ByteHrs", "Standard Storage", "us-east-1", "GB-Mo",
           0.023, "data-eng", "prod", "data-preparation", "storage", per_day=380_000))
    add(_r("arn:glue", "etl-tokenize-corpus", "aws-data", "AWS Glue", "Analytics", "Data Processing",
           "Job", "Glue-ETL-DPU-Hour", "ETL job run", "us-east-1", "DPU-Hour", 0.44, "data-eng", "prod",
           "data-preparation", "usage", per_day=520, tagging="miskey"))
    add(_r("dataflow.googleapis.com/jobs", "dataflow-dedup-pipeline", "gcp-data", "Dataflow", "Analytics",
           "Data Processing", "Job", "DF-Batch-vCPU", "Batch vCPU time", "us-central1", "Hour", 0.056,
           "data-eng", "prod", "data-preparation", "usage", per_day=9_000))
    add(_r("storage.googleapis.com/buckets", "gcs-datasets-bucket", "gcp-data", "Cloud Storage", "Storage",
           "Object Storage", "Bucket", "GCS-Standard-US", "Standard Storage US Multi-region", "us",
           "GiB-Month", 0.026, "data-eng", "prod", "data-preparation", "storage", per_day=210_000,
           tagging="none"))
    add(_r("Microsoft.Storage/storageAccounts", "stfeaturestoreprod", "az-prod", "Storage", "Storage",
           "Object Storage", "Storage account", "BLOB-HOT-LRS", "Hot LRS Data Stored", "eastus",
           "1 GB/Month", 0.0184, "data-eng", "prod", "data-preparation", "storage", per_day=60_000))
    add(_r("vol", "llm-train-cluster-a-scratch", "aws-research", "Amazon Elastic Compute Cloud", "Storage",
           "Block Storage", "Volume", "EBS:VolumeUsage.gp3", "gp3 storage", "us-east-1", "GB-Mo", 0.08,
           "foundation-models", "prod", "training", "storage", per_day=120_000, nodes=1))
    # orphans: the legacy cluster's volume and snapshots live on after the cluster is gone
    add(_r("vol", "llm-train-legacy-data", "aws-research", "Amazon Elastic Compute Cloud", "Storage",
           "Block Storage", "Volume", "EBS:VolumeUsage.gp3", "gp3 storage", "us-east-1", "GB-Mo", 0.08,
           "foundation-models", "prod", "training", "storage", per_day=64_000, no_workload_tag=True))
    for i in range(3):
        add(_r("snap", f"llm-train-legacy-snapshot-{i}", "aws-research", "Amazon Elastic Compute Cloud",
               "Storage", "Backup Storage", "Snapshot", "EBS:SnapshotUsage", "Snapshot storage", "us-east-1",
               "GB-Mo", 0.05, "foundation-models", "prod", "training", "storage",
               per_day=48_000 + 6_000 * i, tagging="none"))
    add(_r("compute.googleapis.com/disks", "pd-dataprep-old-vm-disk", "gcp-research", "Compute Engine",
           "Storage", "Block Storage", "Disk", "GCE-PD-SSD", "SSD backed PD capacity", "us-central1",
           "GiB-Month", 0.17, "foundation-models", "dev", "data-preparation", "storage", per_day=16_000,
           tagging="none"))
    # -- platform and shared services
    add(_r("arn:eks", "eks-ml-platform", "aws-shared", "Amazon Elastic Kubernetes Service", "Compute",
           "Containers", "Cluster", "AmazonEKS-Hours:perCluster", "EKS cluster hours", "us-east-1", "Hours",
           0.10, "ml-platform", "prod", "platform", "always"))
    add(_ec2("eks-ml-platform-nodes", "aws-shared", "m7i.2xlarge", 0.4032, "ml-platform", "prod", "platform",
             "always", nodes=8, pricing="aws-sp-compute"))
    add(_r("Microsoft.ContainerService/managedClusters", "aks-assistant-prod", "az-prod",
           "Azure Kubernetes Service", "Compute", "Containers", "Managed cluster", "AKS-Standard-Uptime",
           "Standard Uptime SLA", "eastus", "1 Hour", 0.10, "ml-platform", "prod", "platform", "always"))
    add(_r("container.googleapis.com/clusters", "gke-search-prod", "gcp-search", "Kubernetes Engine",
           "Compute", "Containers", "Cluster", "GKE-Cluster-Mgmt", "Regional Kubernetes Clusters",
           "us-central1", "Hour", 0.10, "ml-platform", "prod", "platform", "always", tagging="none"))
    add(_r("arn:logs", "cloudwatch-logs-ml", "aws-shared", "AmazonCloudWatch", "Management and Governance",
           "Observability", "Log group", "DataProcessing-Bytes", "Log ingestion", "us-east-1", "GB", 0.50,
           "sre", "prod", "platform", "usage", per_day=210))
    add(_r("Microsoft.OperationalInsights/workspaces", "log-analytics-prod", "az-prod", "Azure Monitor",
           "Management and Governance", "Observability", "Workspace", "LA-PerGB2018", "Analytics Logs Data Ingestion",
           "eastus", "1 GB", 2.30, "sre", "prod", "platform", "usage", per_day=34, tagging="miskey"))
    add(_r("logging.googleapis.com/projects", "cloud-logging-search", "gcp-search", "Cloud Logging",
           "Management and Governance", "Observability", "Project", "LOG-Ingest", "Log Volume", "global",
           "GiB", 0.50, "sre", "prod", "platform", "usage", per_day=80, tagging="none"))
    add(_r("", "AWS Support (Business)", "aws-shared", "AWS Support (Business)", "Management and Governance",
           "Support", "", "AWSSupportBusiness", "Business support", "global", "Month", 9_400.0, "sre",
           "prod", "platform", "monthly", tagging="none"))
    add(_r("", "Google Cloud Enhanced Support", "gcp-search", "Support", "Management and Governance",
           "Support", "", "GCP-Support-Enhanced", "Enhanced Support", "global", "Month", 1_800.0, "sre",
           "prod", "platform", "monthly", tagging="none"))
    # -- egress, attributed to the applications that cause it
    add(_r("arn:ec2", "egress-chat-endpoint-prod", "aws-prod", "AWS Data Transfer", "Networking",
           "Network Traffic", "Data transfer", "DataTransfer-Out-Bytes", "Data Transfer Out to Internet",
           "us-east-1", "GB", 0.09, "assistant", "prod", "realtime-inference", "usage", per_day=2_600,
           app="assistant", tagging="partial"))
    add(_r("compute.googleapis.com/networks", "search-prod-egress", "gcp-search", "Networking", "Networking",
           "Network Traffic", "Network", "NET-Egress-Internet", "Network Internet Egress", "us-central1",
           "GiB", 0.12, "search", "prod", "retrieval", "usage", per_day=900, app="semantic-search",
           tagging="miskey"))
    return R


NODE_TYPES = ("Instance", "Virtual machine", "Compute instance")


def expand_nodes(resources: list[Resource]) -> list[Resource]:
    """Instance clusters are billed per node: one resource per node (`node` = its index)."""
    out = []
    for r in resources:
        if r.nodes > 1 and r.rtype in NODE_TYPES:
            for i in range(r.nodes):
                name = f"{r.name}-{i}"
                out.append(replace(r, name=name, rid=_node_id(r, name), node=i))
        else:
            out.append(r)
    return out


def _node_id(r: Resource, name: str) -> str:
    if r.rid.startswith("i-"):
        return rid_for(r.sub, "i", name)
    return r.rid.rsplit("/", 1)[0] + "/" + name
