//! Word lists of the demo data: person names by nationality and sex, streets, birthplace
//! areas, and Chinese numerals. Plain data plus the few functions that pick from it.

use fiscus_core::rng::DemoRng;

/// Common Han surnames; the most frequent appear twice so that they are drawn more often.
#[rustfmt::skip]
const SURNAMES: &[&str] = &[
    "王", "王", "李", "李", "张", "张", "刘", "刘", "陈", "陈", "杨", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡",
    "朱", "高", "林", "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹",
    "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛", "叶", "阎", "余",
    "潘", "杜", "戴", "夏", "钟", "汪", "田", "任", "姜", "范", "方", "石", "姚", "谭", "廖", "邹", "熊", "金", "陆",
    "郝", "孔", "白", "崔", "康", "毛", "邱", "秦", "江", "史", "顾", "侯", "邵", "孟", "龙", "万", "段", "雷", "钱",
    "汤", "尹", "黎", "易", "常", "武", "乔", "贺", "赖", "龚", "文", "庞", "樊", "兰", "殷", "施", "陶", "洪", "翟",
];

#[rustfmt::skip]
const GIVEN_MALE: &[&str] = &[
    "伟", "强", "军", "磊", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞", "鑫", "波", "宇",
    "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "龙", "林", "峰", "建", "国", "新", "疆", "兵", "志", "忠", "成",
    "亮", "海", "山", "江", "东", "振", "毅", "博", "文", "武", "德", "永", "春", "泽", "晨", "阳", "锋", "胜", "光",
];

#[rustfmt::skip]
const GIVEN_FEMALE: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "玲", "燕", "萍", "红", "梅", "莉", "兰", "婷", "雪", "琳",
    "洁", "慧", "颖", "倩", "晶", "欣", "悦", "瑶", "佳", "琴", "云", "凤", "丹", "蕾", "薇", "月", "荣", "菊", "英",
    "华", "春", "晓", "雅", "楠", "彤", "璐", "媛", "珊", "露", "琪", "婧", "怡", "萌", "诗", "梦", "思", "妍", "岚",
];

#[rustfmt::skip]
const UYGHUR_MALE: &[&str] = &[
    "艾力", "买买提", "阿不都", "吐尔逊", "艾尼瓦尔", "伊力哈木", "阿迪力", "努尔", "热合曼", "艾合买提", "玉素甫",
    "克里木", "肉孜", "阿布都热西提", "麦麦提", "依明", "塔依尔", "卡德尔", "吾买尔", "阿里木",
];

#[rustfmt::skip]
const UYGHUR_FEMALE: &[&str] = &[
    "阿依古丽", "古丽娜尔", "热依汗", "帕提古丽", "努尔古丽", "阿依努尔", "迪丽娜尔", "米热古丽", "再娜甫", "阿米娜",
    "古丽米热", "热孜完古丽", "麦尔哈巴", "阿娜尔古丽", "祖力皮亚",
];

#[rustfmt::skip]
const KAZAKH_MALE: &[&str] = &[
    "叶尔兰", "努尔兰", "哈斯木", "别克", "叶尔江", "达吾列提", "加肯", "阿勒泰", "赛力克", "吐尔洪", "波拉提",
    "胡安", "木拉提", "叶尔波拉提",
];

#[rustfmt::skip]
const KAZAKH_FEMALE: &[&str] = &[
    "阿依达娜", "加娜尔", "古丽巴哈", "阿依江", "玛依拉", "古丽扎尔", "巴合提古丽", "阿依夏", "沙吾列", "古丽米拉",
];

/// Streets for unit addresses.
#[rustfmt::skip]
pub const STREETS: &[&str] = &[
    "人民路", "解放路", "光明路", "青年路", "团结路", "建设路", "胜利路", "文化路", "迎宾路", "幸福路", "北京路",
    "上海路", "天山路", "军垦路", "屯垦路", "塔里木大道", "友谊路", "和平路", "新华路", "东风路",
];

/// Birthplace areas (6-digit administrative codes) of persons who were not born where they
/// work: elsewhere in Xinjiang and the inland provinces most corps families came from.
#[rustfmt::skip]
pub const OTHER_BIRTH_AREAS: &[&str] = &[
    "650102", "650103", "650104", "650105", "652901", "654002", "654202", "652801", "652301", "410102", "410221",
    "412701", "510104", "510921", "320102", "370102", "620102", "130102", "340102", "430102",
];

/// 民族 codes with weights out of 100: mostly 汉族, then the largest groups of the corps.
const NATIONALITIES: &[(&str, u64)] = &[
    ("01", 84),
    ("05", 6),
    ("03", 4),
    ("17", 3),
    ("02", 1),
    ("38", 1),
    ("29", 1),
];

/// A 民族 code drawn with realistic weights.
pub fn nationality_code(rng: &mut DemoRng) -> &'static str {
    let mut draw = rng.range(0, 99);
    for (code, weight) in NATIONALITIES {
        if draw < *weight {
            return code;
        }
        draw -= weight;
    }
    "01"
}

/// A person's name as it would be written for their nationality: Uyghur and Kazakh names as
/// "given name·father's name", the others as a Han-style surname and one or two characters.
pub fn person_name(rng: &mut DemoRng, nat_code: &str, male: bool) -> String {
    match nat_code {
        "05" => {
            let given = rng.pick(if male { UYGHUR_MALE } else { UYGHUR_FEMALE });
            format!("{given}·{}", rng.pick(UYGHUR_MALE))
        }
        "17" => {
            let given = rng.pick(if male { KAZAKH_MALE } else { KAZAKH_FEMALE });
            format!("{given}·{}", rng.pick(KAZAKH_MALE))
        }
        _ => han_name(rng, male),
    }
}

fn han_name(rng: &mut DemoRng, male: bool) -> String {
    let given_characters = if male { GIVEN_MALE } else { GIVEN_FEMALE };
    let mut name = String::from(*rng.pick(SURNAMES));
    name.push_str(rng.pick::<&str>(given_characters));
    if rng.chance(7, 10) {
        name.push_str(rng.pick::<&str>(given_characters));
    }
    name
}

/// A name for a user account (no nationality needed).
pub fn any_person_name(rng: &mut DemoRng) -> String {
    let male = rng.chance(1, 2);
    let nat_code = nationality_code(rng);
    person_name(rng, nat_code, male)
}

const DIGITS_ZH: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

/// 1 → 一, 10 → 十, 14 → 十四, 20 → 二十, 36 → 三十六 (1..=99).
pub fn chinese_numeral(number: usize) -> String {
    let tens = number / 10;
    let ones = number % 10;
    let mut text = String::new();
    match tens {
        0 => {}
        1 => text.push('十'),
        _ => {
            text.push_str(DIGITS_ZH[tens % 10]);
            text.push('十');
        }
    }
    if ones > 0 || number == 0 {
        text.push_str(DIGITS_ZH[ones]);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals() {
        let cases = [
            (1, "一"),
            (9, "九"),
            (10, "十"),
            (11, "十一"),
            (14, "十四"),
            (20, "二十"),
            (36, "三十六"),
        ];
        for (number, expected) in cases {
            assert_eq!(chinese_numeral(number), expected);
        }
    }

    #[test]
    fn nationality_weights_sum_to_one_hundred() {
        assert_eq!(
            NATIONALITIES.iter().map(|(_, weight)| weight).sum::<u64>(),
            100
        );
    }
}
