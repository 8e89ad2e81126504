//! The shape of the demo's competent-department trees: which departments a corps, division or
//! regiment has, and which subordinate units (事业单位 and others) each department runs.
//! `agency_type` and `fund_guar` are codes of the shipped 2026 tables.

/// A unit under a department (second level), and the branches it may have (third level).
pub struct SubUnitTemplate {
    pub stem: &'static str,
    pub agency_type: &'static str,
    pub fund_guar: &'static str,
    /// Several of these may exist side by side: "第一中学", "第二中学".
    pub numbered: bool,
    /// Suffixes of third-level units: "分院" gives "第一师医院分院".
    pub branches: &'static [&'static str],
}

/// A first-level budget unit (一级预算单位 / 主管部门).
pub struct DepartmentTemplate {
    /// Name at corps level, after "兵团".
    pub corps_stem: &'static str,
    /// Name at division and regiment level, after "第一师" or "一团".
    pub stem: &'static str,
    pub agency_type: &'static str,
    pub fund_guar: &'static str,
    pub children: &'static [SubUnitTemplate],
}

const fn unit(
    stem: &'static str,
    agency_type: &'static str,
    fund_guar: &'static str,
) -> SubUnitTemplate {
    SubUnitTemplate {
        stem,
        agency_type,
        fund_guar,
        numbered: false,
        branches: &[],
    }
}

/// A 事业单位 with full funding (全额拨款), the most common kind.
const fn institution(stem: &'static str) -> SubUnitTemplate {
    unit(stem, "3", "1")
}

impl SubUnitTemplate {
    const fn numbered(mut self) -> Self {
        self.numbered = true;
        self
    }
    const fn with_branches(mut self, branches: &'static [&'static str]) -> Self {
        self.branches = branches;
        self
    }
}

const fn bureau(
    corps_stem: &'static str,
    stem: &'static str,
    children: &'static [SubUnitTemplate],
) -> DepartmentTemplate {
    DepartmentTemplate {
        corps_stem,
        stem,
        agency_type: "1",
        fund_guar: "1",
        children,
    }
}

const SCHOOL_BRANCHES: &[&str] = &["分校", "附属幼儿园"];
const HOSPITAL_BRANCHES: &[&str] = &["分院", "社区卫生服务中心"];

/// Departments of the corps and of each division, most important first (small demos take
/// the first few).
#[rustfmt::skip]
pub const HIGHER_DEPARTMENTS: &[DepartmentTemplate] = &[
    bureau("党委办公厅", "党委办公室", &[institution("机关服务中心"), institution("档案馆"), institution("信息中心")]),
    bureau("财政局", "财政局", &[institution("财政国库支付中心"), institution("财政投资评审中心"), institution("政府采购中心")]),
    bureau("教育局", "教育局", &[
        institution("中学").numbered().with_branches(SCHOOL_BRANCHES),
        institution("小学").numbered(),
        institution("幼儿园").numbered(),
        institution("职业技术学校"),
        institution("教育研究中心"),
    ]),
    bureau("卫生健康委员会", "卫生健康委员会", &[
        unit("医院", "3", "2").with_branches(HOSPITAL_BRANCHES),
        institution("疾病预防控制中心"),
        unit("妇幼保健院", "3", "2"),
        institution("卫生健康综合监督执法支队"),
        unit("中医医院", "3", "2"),
    ]),
    bureau("农业农村局", "农业农村局", &[
        institution("农业技术推广总站"),
        institution("畜牧兽医工作站"),
        institution("农产品质量安全检测中心"),
        institution("种子管理站"),
        institution("农机推广站"),
    ]),
    bureau("水利局", "水利局", &[institution("水文水资源管理中心"), unit("水管处", "3", "2"), unit("水利水电勘测设计院", "3", "4")]),
    bureau("公安局", "公安局", &[unit("交通警察支队", "1", "1"), unit("治安管理支队", "1", "1"), unit("看守所", "1", "1")]),
    bureau("民政局", "民政局", &[institution("社会福利院"), institution("救助管理站"), unit("殡仪馆", "3", "2")]),
    bureau("人力资源和社会保障局", "人力资源和社会保障局", &[
        unit("社会保险管理中心", "2", "1"),
        unit("就业服务中心", "2", "1"),
        institution("人事考试中心"),
        institution("职业技能鉴定中心"),
    ]),
    bureau("住房和城乡建设局", "住房和城乡建设局", &[
        institution("建设工程质量安全监督站"),
        institution("住房公积金管理中心"),
        unit("城乡规划设计研究院", "3", "4"),
    ]),
    bureau("自然资源局", "自然资源和规划局", &[institution("不动产登记中心"), institution("土地整理中心"), institution("测绘地理信息中心")]),
    bureau("审计局", "审计局", &[institution("经济责任审计中心"), institution("审计信息中心")]),
    bureau("统计局", "统计局", &[institution("统计信息中心"), institution("社情民意调查中心")]),
    bureau("文化体育广电和旅游局", "文化体育广电和旅游局", &[
        institution("图书馆"),
        institution("文化馆"),
        institution("博物馆"),
        institution("体育运动学校"),
        unit("艺术剧院", "3", "2"),
    ]),
    bureau("发展和改革委员会", "发展和改革委员会", &[institution("经济研究中心"), institution("价格监测中心"), institution("重点项目稽察中心")]),
    bureau("工业和信息化局", "工业和信息化局", &[institution("经济信息中心"), institution("中小企业服务中心")]),
    bureau("生态环境局", "生态环境局", &[institution("环境监测站"), unit("生态环境保护综合行政执法支队", "2", "1")]),
    bureau("交通运输局", "交通运输局", &[institution("公路养护中心"), unit("交通运输综合行政执法支队", "2", "1")]),
    bureau("商务局", "商务局", &[institution("商务发展中心"), institution("口岸服务中心")]),
    bureau("应急管理局", "应急管理局", &[institution("应急救援中心"), institution("安全生产技术服务中心")]),
    bureau("市场监督管理局", "市场监督管理局", &[
        institution("产品质量监督检验所"),
        institution("食品药品检验所"),
        institution("计量检定测试所"),
    ]),
    bureau("司法局", "司法局", &[institution("法律援助中心"), unit("公证处", "3", "4"), unit("强制隔离戒毒所", "1", "1")]),
    bureau("林业和草原局", "林业和草原局", &[institution("林业工作站"), institution("森林病虫害防治检疫站"), institution("草原工作站")]),
    bureau("科学技术局", "科学技术局", &[institution("科技发展服务中心"), institution("生产力促进中心")]),
    bureau("退役军人事务局", "退役军人事务局", &[institution("退役军人服务中心"), institution("军供站"), institution("烈士陵园管理所")]),
    bureau("医疗保障局", "医疗保障局", &[unit("医疗保障事业管理中心", "2", "1"), institution("医疗保障基金监管中心")]),
    bureau("机关事务管理局", "机关事务服务中心", &[institution("公务用车服务中心"), institution("机关幼儿园")]),
    bureau("国有资产监督管理委员会", "国有资产监督管理委员会", &[institution("国有资产信息中心")]),
    bureau("党委组织部", "党委组织部", &[institution("人才服务中心"), institution("干部教育培训中心")]),
    bureau("党委宣传部", "党委宣传部", &[unit("融媒体中心", "3", "2"), institution("网络舆情中心")]),
    DepartmentTemplate { corps_stem: "党委党校", stem: "党委党校", agency_type: "3", fund_guar: "1", children: &[institution("培训中心")] },
    bureau("信访局", "信访局", &[]),
];

/// Departments of a regiment (团场), most important first.
#[rustfmt::skip]
pub const REGIMENT_DEPARTMENTS: &[DepartmentTemplate] = &[
    DepartmentTemplate {
        corps_stem: "",
        stem: "社会事务服务中心",
        agency_type: "3",
        fund_guar: "1",
        children: &[institution("中学"), institution("小学"), institution("幼儿园"), institution("文化体育服务站")],
    },
    DepartmentTemplate {
        corps_stem: "",
        stem: "农业发展服务中心",
        agency_type: "3",
        fund_guar: "1",
        children: &[institution("农业技术推广站"), unit("水管所", "3", "2"), institution("畜牧兽医站"), institution("农机推广站")],
    },
    bureau("", "党政办公室", &[institution("机关服务中心"), institution("档案室")]),
    bureau("", "财政所", &[institution("会计核算中心"), institution("国有资产管理站")]),
    DepartmentTemplate {
        corps_stem: "",
        stem: "医院",
        agency_type: "3",
        fund_guar: "2",
        children: &[institution("社区卫生服务站").numbered(), institution("疾病预防控制所")],
    },
    bureau("", "公安分局", &[unit("派出所", "1", "1").numbered()]),
    bureau("", "经济发展办公室", &[institution("电子商务服务中心"), institution("就业和社会保障服务站")]),
    bureau("", "党建工作办公室", &[institution("党员教育中心")]),
    DepartmentTemplate { corps_stem: "", stem: "综合执法大队", agency_type: "2", fund_guar: "1", children: &[] },
    bureau("", "政法委员会办公室", &[institution("矛盾纠纷调解中心")]),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(element_code: &str, code: &str) -> bool {
        let csv = crate::codes::SHIPPED_TABLES
            .iter()
            .find(|(name, _)| *name == element_code)
            .map_or("", |(_, csv)| *csv);
        csv.lines()
            .skip(1)
            .any(|line| line.split(',').next() == Some(code))
    }

    #[test]
    fn codes_come_from_the_shipped_tables() {
        for department in HIGHER_DEPARTMENTS.iter().chain(REGIMENT_DEPARTMENTS) {
            assert!(
                shipped("agency_type", department.agency_type)
                    && shipped("fund_guar", department.fund_guar),
                "{}",
                department.stem
            );
            for child in department.children {
                assert!(
                    shipped("agency_type", child.agency_type)
                        && shipped("fund_guar", child.fund_guar),
                    "{}",
                    child.stem
                );
            }
        }
    }
}
