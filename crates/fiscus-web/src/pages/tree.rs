//! The organization trees: the region tree (兵团 → 师 → 团) with each region's own-level (本级)
//! and whole-jurisdiction (辖区) unit counts, and one region's competent-department tree of
//! budget units (主管部门 → 下级单位). Both show only what the user's scope allows.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use fiscus_core::MofDivCode;
use fiscus_core::masterdata::Value;
use fiscus_core::schema;
use fiscus_store::tree::{AgencyNode, RegionNode};
use maud::{Markup, html};

use super::format::enabled_badge;
use super::layout::{self, heading, record_href, url};
use super::{PageError, PageResult};
use crate::context::{PageUser, RequestInfo};
use crate::state::AppState;

/// Levels of the region tree unfolded when the page opens: the top one, so that the page
/// opens on 兵团 and its 师 (with their counts) rather than on a hundred and fifty 团.
const REGION_LEVELS_OPEN: usize = 1;
/// Unit trees up to this size open every competent department; larger ones start folded.
const AGENCY_NODES_OPEN_MAX: usize = 300;

/// Children of each node of a tree given in path order (parents before children), and the
/// roots: nodes whose parent is not visible to the user.
fn nest<'a>(
    parents: impl Iterator<Item = (&'a str, Option<&'a str>)>,
) -> (Vec<usize>, Vec<Vec<usize>>, Vec<Option<usize>>) {
    let items: Vec<_> = parents.collect();
    let index: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, (code, _))| (*code, i))
        .collect();
    let mut roots = Vec::new();
    let mut children = vec![Vec::new(); items.len()];
    let mut parent_of = vec![None; items.len()];
    for (i, (_, parent)) in items.iter().enumerate() {
        match parent.and_then(|p| index.get(p)) {
            Some(&p) => {
                children[p].push(i);
                parent_of[i] = Some(p);
            }
            None => roots.push(i),
        }
    }
    (roots, children, parent_of)
}

struct RegionTree<'a> {
    nodes: &'a [RegionNode],
    children: Vec<Vec<usize>>,
    /// Units in the node's whole subtree (辖区).
    units_subtree: Vec<i64>,
}

impl RegionTree<'_> {
    fn node(&self, i: usize, depth: usize) -> Markup {
        let node = &self.nodes[i];
        let has_children = !self.children[i].is_empty();
        let row = html! {
            span class="node-row" {
                span class="code" { (node.mof_div_code) }
                a class="node-name" href=(record_href(&schema::REGION, &node.mof_div_code)) { (node.mof_div_name) }
                @if !node.is_enabled { " " (enabled_badge(false)) }
                span class="node-links" {
                    a href=(url("/agencies", &[("mof_div_code", &node.mof_div_code)])) title="登记在本区划本级的单位" { "本级单位 " strong { (node.units_own_level) } }
                    @if has_children {
                        @let jurisdiction = MofDivCode::parse(&node.mof_div_code).map(|c| c.jurisdiction().into_string()).unwrap_or_default();
                        a href=(url("/agencies", &[("mof_div_code", &jurisdiction)])) title="本区划及全部下级区划的单位" { "辖区单位 " strong { (self.units_subtree[i]) } }
                    }
                    a href=(format!("/tree/{}", node.mof_div_code)) { "单位树" }
                }
            }
        };
        html! {
            @if has_children {
                details class="tree-node" open[depth < REGION_LEVELS_OPEN] {
                    summary { (row) }
                    div class="tree-children" { @for &child in &self.children[i] { (self.node(child, depth + 1)) } }
                }
            } @else {
                div class="tree-node leaf" { (row) }
            }
        }
    }
}

pub async fn region_tree(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
) -> PageResult {
    let principal = &user.principal;
    // The store counts only the units this user may open (its scope applies to the counts).
    let nodes = state
        .app
        .region_tree(principal)
        .await
        .map_err(|e| PageError::new(e, &info.request_id))?;
    let (roots, children, parent_of) = nest(
        nodes
            .iter()
            .map(|n| (n.mof_div_code.as_str(), n.parent_mof_div_code.as_deref())),
    );
    // Path order puts children after parents, so one backward pass sums every subtree.
    let mut units_subtree: Vec<i64> = nodes.iter().map(|n| n.units_own_level).collect();
    for i in (0..nodes.len()).rev() {
        if let Some(p) = parent_of[i] {
            units_subtree[p] += units_subtree[i];
        }
    }
    let n_units: i64 = roots.iter().map(|&r| units_subtree[r]).sum();
    let tree = RegionTree {
        nodes: &nodes,
        children,
        units_subtree,
    };
    let content = html! {
        (heading(&[("", "基础信息")], "区划树", html! { a class="button" href="/regions" { "区划列表" } }))
        p class="muted" {
            "共 " (nodes.len()) " 个区划、" (n_units) " 户单位。"
            "「本级单位」是登记在该区划本级的单位；「辖区单位」还包括全部下级区划的单位。点击「单位树」查看该区划的主管部门与下级单位。"
        }
        section class="card tree" {
            @if nodes.is_empty() { p class="muted" { "没有可查看的区划。" } }
            @for &root in &roots { (tree.node(root, 0)) }
        }
    };
    Ok(layout::page(&user, "区划树", "/tree", content).into_response())
}

struct AgencyTree<'a> {
    nodes: &'a [AgencyNode],
    children: Vec<Vec<usize>>,
    type_names: HashMap<String, String>,
    open: bool,
}

impl AgencyTree<'_> {
    fn node(&self, i: usize) -> Markup {
        let node = &self.nodes[i];
        let n_children = self.children[i].len();
        let row = html! {
            span class="node-row" {
                span class="code" { (node.agency_code) }
                a class="node-name" href=(record_href(&schema::AGENCY, &node.agency_code)) { (node.agency_name) }
                @if let Some(type_name) = self.type_names.get(&node.agency_type) { span class="tag" { (type_name) } }
                @if !node.is_enabled { " " (enabled_badge(false)) }
                @if n_children > 0 { span class="muted small" { "下级单位 " (n_children) " 户" } }
            }
        };
        html! {
            @if n_children > 0 {
                details class="tree-node" open[self.open] {
                    summary { (row) }
                    div class="tree-children" { @for &child in &self.children[i] { (self.node(child)) } }
                }
            } @else {
                div class="tree-node leaf" { (row) }
            }
        }
    }
}

pub async fn agency_tree(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    info: RequestInfo,
    Path(mof_div_code): Path<String>,
) -> PageResult {
    let rid = &info.request_id;
    let principal = &user.principal;
    let nodes = state
        .app
        .agency_tree(principal, &mof_div_code)
        .await
        .map_err(|e| PageError::new(e, rid))?;
    let region_name = match state
        .app
        .get_record(principal, &schema::REGION, &mof_div_code)
        .await
    {
        Ok(record) => record
            .get("mof_div_name")
            .and_then(Value::as_text)
            .map(str::to_owned),
        Err(_) => None,
    };
    let type_names = state
        .app
        .code_names("agency_type", None)
        .await
        .unwrap_or_default()
        .into_iter()
        .collect();
    let (roots, children, _) = nest(
        nodes
            .iter()
            .map(|n| (n.agency_code.as_str(), n.parent_agency_code.as_deref())),
    );
    let n_departments = roots.iter().filter(|&&r| !children[r].is_empty()).count();
    let tree = AgencyTree {
        nodes: &nodes,
        children,
        type_names,
        open: nodes.len() <= AGENCY_NODES_OPEN_MAX,
    };
    let title = format!("{} 单位树", region_name.as_deref().unwrap_or(&mof_div_code));
    let actions = html! {
        a class="button" href="/tree" { "返回区划树" }
        " "
        a class="button" href=(url("/agencies", &[("mof_div_code", &mof_div_code)])) { "以列表查看" }
    };
    let content = html! {
        (heading(&[("", "基础信息"), ("/tree", "区划树")], &title, actions))
        p class="muted" {
            "区划代码 " span class="code" { (mof_div_code) } "，本级共 " (nodes.len()) " 户单位"
            @if n_departments > 0 { "，其中 " (n_departments) " 个主管部门（含下级单位）" }
            "。按主管部门逐级展开，点击单位名称查看详情。"
        }
        section class="card tree" {
            @if nodes.is_empty() { p class="muted" { "该区划本级没有您可查看的单位。" } }
            @for &root in &roots { (tree.node(root)) }
        }
    };
    Ok(layout::page(&user, &title, "/tree", content).into_response())
}

#[cfg(test)]
mod tests {
    use super::nest;

    #[test]
    fn nodes_nest_under_visible_parents_and_orphans_become_roots() {
        let items = [
            ("a", None),
            ("b", Some("a")),
            ("c", Some("b")),
            ("d", Some("hidden")),
        ];
        let (roots, children, parent_of) =
            nest(items.iter().map(|(code, parent)| (*code, *parent)));
        assert_eq!(roots, vec![0, 3]);
        assert_eq!(children[0], vec![1]);
        assert_eq!(children[1], vec![2]);
        assert_eq!(parent_of, vec![None, Some(0), Some(1), None]);
    }
}
